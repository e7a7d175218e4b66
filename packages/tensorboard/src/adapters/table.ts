/** Where adapters send scalars: a `TensorBoardWriter` or anything with the same `scalar` method. */
export interface ScalarSink {
  scalar(tag: string, value: number, step: number): void;
}

/** What a table row sees besides its event: the sink and where training is. */
export interface RowContext {
  log(tag: string, value: number | null | undefined, step: number): void;
  /** Last finished epoch of the current training run (0 before the first). */
  readonly epoch: number;
  /** Last optimizer step seen (0 before the first batch). */
  readonly step: number;
}

/** One row per event `type`: the scalars that event becomes. Types without a row are ignored. */
export type EventTable<E extends { readonly type: string }> = {
  readonly [K in E['type']]?: (event: Extract<E, { readonly type: K }>, ctx: RowContext) => void;
};

/** Mutable training position shared by the rows of one adapter. */
export interface Position {
  epoch: number;
  step: number;
}

/** A callback that looks each event's `type` up in `table` and logs what its row says. `null`/`undefined` values are skipped. */
export function fromTable<E extends { readonly type: string }>(table: EventTable<E>, sink: ScalarSink, position: Position = { epoch: 0, step: 0 }): (event: E) => void {
  const ctx: RowContext = {
    log: (tag, value, step) => {
      if (value !== null && value !== undefined) sink.scalar(tag, value, step);
    },
    get epoch() {
      return position.epoch;
    },
    get step() {
      return position.step;
    },
  };
  return (event) => {
    const row = table[event.type as E['type']] as ((e: E, c: RowContext) => void) | undefined;
    row?.(event, ctx);
  };
}
