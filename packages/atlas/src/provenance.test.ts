import { describe, expect, it } from 'vitest';
import { modelMismatch } from './provenance.js';

describe('modelMismatch', () => {
  it('is silent when every table names the same model, by path or base name, or none', () => {
    expect(modelMismatch([
      { flag: 'topk', name: 'topk.arrows', model: 'vgg.onnx' },
      { flag: 'cof', name: 'cof.arrows', model: undefined },
      { flag: 'concepts', name: 'd.arrows', model: 'examples/zoo/vgg.onnx' },
    ])).toBeUndefined();
  });

  it('names each model with the flags of its tables', () => {
    expect(modelMismatch([
      { flag: 'topk', name: 'topk.arrows', model: 'vgg.onnx' },
      { flag: 'stats', name: 's.arrows', model: 'vgg.onnx' },
      { flag: 'concepts', name: 'd.arrows', model: '/x/resnet.onnx' },
    ])).toBe('the tables come from 2 different models: vgg.onnx (--topk, --stats); resnet.onnx (--concepts); units are joined by layer and neuron only');
  });
});
