import { ShrinkrayError } from '@shrinkray/tensor-core';

/** A tfjs layer cannot be exported to ONNX: names the layer, its class and the supported classes. */
export class UnsupportedLayerError extends ShrinkrayError<'UNSUPPORTED_LAYER'> {
  readonly layer: string;
  readonly className: string;
  readonly supported: readonly string[];

  constructor(args: { layer: string; className: string; supported: readonly string[]; detail?: string }) {
    super(
      'UNSUPPORTED_LAYER',
      `tfjs layer '${args.layer}' (${args.className}): ${args.detail ?? 'layer class not supported'}; supported layers: ${[...args.supported].sort().join(', ')}`,
    );
    this.layer = args.layer;
    this.className = args.className;
    this.supported = args.supported;
  }

  static override isInstance(error: unknown): error is UnsupportedLayerError {
    return ShrinkrayError.isInstance(error) && error.code === 'UNSUPPORTED_LAYER';
  }
}
