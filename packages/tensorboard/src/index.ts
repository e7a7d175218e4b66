export { tensorboardForDistill, tensorboardForEnsemble, tensorboardForPrune, tensorboardForTraining, type ScalarOptions, type ScalarSink } from './adapters/index.js';
export { EventFileError } from './errors/index.js';
export { FILE_VERSION, type ScalarForm } from './proto.js';
export { frameRecord, maskedCrc32c } from './record.js';
export { TensorBoardWriter, type TensorBoardWriterOptions } from './writer.js';
