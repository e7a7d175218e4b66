export * from './errors/index.js';
export {
  decodeIdx,
  encodeIdx,
  readIdx,
  isGzip,
  DEFAULT_IDX_MAX_BYTES,
  type IdxArray,
  type IdxArrayMap,
  type IdxDataType,
  type IdxReadOptions,
} from './idx.js';
export { classCounts, seededHoldout, imagesToFloat } from './dataset.js';
export { loadIdxPair, loadIdxDatasets, type IdxDatasetOptions, type IdxFiles } from './idx-dataset.js';
export { loadMnist, mnistDigitsDir, MNIST_CLASSES, MNIST_SPLIT_SEED, MNIST_TEST_FRACTION, type MnistOptions } from './mnist.js';
export { loadFashionMnist, DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from './fashion-mnist.js';
export { openData, dataFormats, dataForms, type DataFormat, type OpenDataOptions } from './formats.js';
export { idxFormats } from './formats-builtin.js';
export {
  fileFormats,
  csvFormat,
  imagesFormat,
  npyFormat,
  npzFormat,
  openCsv,
  readCsvHeader,
  openImages,
  openNpy,
  openNpz,
  NpyArray,
  NPY_IN_MEMORY_BYTES,
  parseNpyHeader,
  imageTarget,
  type NpyDType,
  type NpyHeader,
  type NpyOpenOptions,
  type ImageTarget,
} from './formats/index.js';
export { registerBuiltinDataFormats } from './formats-register.js';
export { TextTokenizer, type EncodedTexts, type TextTokenizerOptions } from './formats/text-tokenizer.js';
export { readJsonlTexts, readCsvTexts, isTextCsvHeader, textClasses, openTextFiles, type TextRows, type TextDatasetSplits } from './formats/text-data.js';
export { openTextJsonl, openTextCsv, jsonlTextFormat, textCsvFormat } from './formats/text.js';
