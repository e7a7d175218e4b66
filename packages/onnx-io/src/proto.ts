import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

let modelType: protobuf.Type | undefined;

/**
 * The `onnx.ModelProto` message type, parsed once from the official `onnx.proto` shipped in this
 * package's `proto/` directory.
 */
export function modelProtoType(): protobuf.Type {
  if (!modelType) {
    const file = fileURLToPath(new URL('../proto/onnx.proto', import.meta.url));
    const root = protobuf.parse(readFileSync(file, 'utf8'), { keepCase: false }).root;
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}
