// The lab network lives in src/ (the demo uses it too); tests import it from here.
export * from '../../src/demo/lab-net.js';
