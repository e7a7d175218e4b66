import { tfl } from '@shrinkray/tensor-core';

/** The demo's teacher: a small CNN (conv 16, conv 32, dense 128 with dropout), logits out. */
export function buildTeacher(seed: number, inputShape: [number, number, number], classes: number): tfl.LayersModel {
  const init = (offset: number) => tfl.initializers.glorotUniform({ seed: seed * 100 + offset });
  return tfl.sequential({
    name: 'teacher',
    layers: [
      tfl.layers.conv2d({ inputShape, filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(3) }),
      tfl.layers.dropout({ rate: 0.3, seed }),
      tfl.layers.dense({ units: classes, kernelInitializer: init(4) }),
    ],
  });
}

/** An MLP with the given hidden sizes, logits out. */
export function buildMlp(name: string, seed: number, inputShape: [number, number, number], hidden: readonly number[], classes: number): tfl.LayersModel {
  const layers: tfl.layers.Layer[] = [tfl.layers.flatten({ inputShape })];
  hidden.forEach((units, i) => {
    layers.push(tfl.layers.dense({ units, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 100 + i }) }));
  });
  layers.push(tfl.layers.dense({ units: classes, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 100 + 99 }) }));
  return tfl.sequential({ name, layers });
}
