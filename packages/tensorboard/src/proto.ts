import protobuf from 'protobufjs';

/**
 * The part of TensorBoard's `Event` / `Summary` protos (package `tensorboard`, proto3) that scalar
 * logging needs, with TensorBoard's field numbers. Unused fields of those messages are left out:
 * a reader skips nothing it needs, and this writer never sets them.
 */
const schema: protobuf.INamespace = {
  nested: {
    Event: {
      oneofs: { what: { oneof: ['fileVersion', 'summary'] } },
      fields: {
        wallTime: { type: 'double', id: 1 },
        step: { type: 'int64', id: 2 },
        fileVersion: { type: 'string', id: 3 },
        summary: { type: 'Summary', id: 5 },
      },
    },
    Summary: {
      fields: { value: { rule: 'repeated', type: 'SummaryValue', id: 1 } },
    },
    SummaryValue: {
      oneofs: { value: { oneof: ['simpleValue', 'tensor'] } },
      fields: {
        tag: { type: 'string', id: 1 },
        simpleValue: { type: 'float', id: 2 },
        tensor: { type: 'TensorProto', id: 8 },
        metadata: { type: 'SummaryMetadata', id: 9 },
      },
    },
    SummaryMetadata: {
      fields: {
        pluginData: { type: 'PluginData', id: 1 },
        dataClass: { type: 'int32', id: 4 },
      },
    },
    PluginData: {
      fields: {
        pluginName: { type: 'string', id: 1 },
        content: { type: 'bytes', id: 2 },
      },
    },
    TensorProto: {
      fields: {
        dtype: { type: 'int32', id: 1 },
        tensorShape: { type: 'TensorShapeProto', id: 2 },
        floatVal: { rule: 'repeated', type: 'float', id: 5, options: { packed: true } },
      },
    },
    TensorShapeProto: { fields: {} },
  },
};

/** `DataType.DT_FLOAT` of TensorFlow's `types.proto`. */
export const DT_FLOAT = 1;
/** `DataClass.DATA_CLASS_SCALAR` of TensorBoard's `summary.proto`. */
export const DATA_CLASS_SCALAR = 1;
/** The first record of every event file. */
export const FILE_VERSION = 'brain.Event:2';

let eventType: protobuf.Type | undefined;

function event(): protobuf.Type {
  eventType ??= protobuf.Root.fromJSON(schema).lookupType('Event');
  return eventType;
}

/** How a scalar is stored: `simple` as `Summary.Value.simple_value`, `tensor` as a rank-0 DT_FLOAT tensor with the `scalars` plugin's metadata (what TF 2's `tf.summary.scalar` writes). */
export type ScalarForm = 'simple' | 'tensor';

/** One scalar of an `Event`'s summary. */
export interface ScalarValue {
  tag: string;
  value: number;
}

/** The serialized `Event{wall_time, file_version}` that opens an event file. */
export function encodeFileVersion(wallTime: number): Uint8Array {
  return event().encode({ wallTime, step: 0, fileVersion: FILE_VERSION }).finish();
}

/** A serialized `Event{wall_time, step, summary}` holding `values` as scalars in the given form. */
export function encodeScalars(wallTime: number, step: number, values: readonly ScalarValue[], form: ScalarForm): Uint8Array {
  const value = values.map(({ tag, value: v }) =>
    form === 'simple'
      ? { tag, simpleValue: v }
      : {
          tag,
          // The scalars plugin's content is a serialized ScalarPluginData{version: 0}: no bytes.
          metadata: { pluginData: { pluginName: 'scalars', content: new Uint8Array(0) }, dataClass: DATA_CLASS_SCALAR },
          tensor: { dtype: DT_FLOAT, tensorShape: {}, floatVal: [v] },
        },
  );
  return event().encode({ wallTime, step, summary: { value } }).finish();
}
