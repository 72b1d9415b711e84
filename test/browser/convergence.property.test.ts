// The engine's convergence property, run in Chromium's JS engine and Web Crypto-free
// hashing path, so a browser-only divergence (number formatting, sort order) shows up.
import '../unit/convergence.property.test.ts';
