export { OpsetTooOldError } from './opset-too-old-error.js';
export { CalibrationDataError } from './calibration-data-error.js';
