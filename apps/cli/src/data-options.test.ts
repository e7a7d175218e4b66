import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { addDataOptions, type DataCliOptions, dataHelp, openDataOptions } from './data-options.js';

function parse(args: string[]): DataCliOptions & { data: string } {
  const command = addDataOptions(new Command('eval').requiredOption('--data <spec>').exitOverride().configureOutput({ writeErr: () => {} }));
  command.parse(args, { from: 'user' });
  return command.opts<DataCliOptions & { data: string }>();
}

describe('data options', () => {
  it('parse into openData options', () => {
    const opts = parse(['--data', 'images:photos', '--classes', 'dog, cat,emu', '--resize', '256', '--mean', '0.485,0.456,0.406', '--std', '0.229,0.224,0.225', '--skip-corrupt', '--label-column', 'y']);
    expect(openDataOptions(opts, { inputShape: [null, 3, 224, 224], seed: 4 })).toEqual({
      inputShape: [null, 3, 224, 224],
      seed: 4,
      labelColumn: 'y',
      classes: ['dog', 'cat', 'emu'],
      resize: 256,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      skipCorrupt: true,
    });
    expect(openDataOptions(parse(['--data', 'mnist']))).toEqual({});
  });

  it('refuse bad values as usage errors', () => {
    for (const bad of [['--resize', '0'], ['--resize', '2.5'], ['--mean', '0.5,x'], ['--std', '0.2,0'], ['--classes', 'a,,b'], ['--classes', 'a,a']]) {
      expect(() => parse(['--data', 'mnist', ...bad]), bad.join(' ')).toThrow(CommanderError);
    }
  });

  it('help lists the registered data forms', () => {
    expect(dataHelp()).toContain('npz:FILE');
    expect(dataHelp()).toContain('images:DIR');
    expect(dataHelp()).toContain('csv:TRAIN,TEST');
  });
});
