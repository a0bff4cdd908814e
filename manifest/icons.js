'use strict';
/**
 * Draws the Teams app icons for Re-think and writes them as PNG files next to this script:
 *   color.png   192x192, full colour: a rounded square in the accent colour with two
 *               overlapping circles (two points of view finding common ground).
 *   outline.png 32x32, white on transparent: the same two circles as rings.
 *
 * Uses only Node built-ins (zlib for deflate; CRC32 is computed here). Every row is written
 * with PNG filter type 0 (None), so the images are simple to decode in tests.
 *
 * Run: node manifest/icons.js
 */
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const ACCENT = [0x2b, 0x6f, 0x77]; // #2B6F77, the manifest accentColor
const WHITE = [0xff, 0xff, 0xff];

// ---------- PNG encoding ----------

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length, 0);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData), 0);
  return Buffer.concat([length, typeAndData, crc]);
}

/** Encodes 8-bit RGBA pixels (width * height * 4 bytes) as a PNG, filter type 0 on every row. */
function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: truecolour with alpha
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type 0: None
    Buffer.from(rgba.buffer, rgba.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------- Geometry ----------

function inRoundedSquare(x, y, size, radius) {
  const cx = Math.min(Math.max(x, radius), size - radius);
  const cy = Math.min(Math.max(y, radius), size - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius && x >= 0 && y >= 0 && x <= size && y <= size;
}

function inCircle(x, y, cx, cy, r) {
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function inRing(x, y, cx, cy, r, width) {
  const d2 = (x - cx) ** 2 + (y - cy) ** 2;
  return d2 <= r * r && d2 >= (r - width) ** 2;
}

/**
 * Renders layers painted in order ("source over"), supersampled for smooth edges.
 * Each layer is { inside(x, y) => boolean, colour: [r, g, b], alpha: 0..1 }.
 */
function render(size, layers, samples = 4) {
  const out = new Uint8Array(size * size * 4);
  const n = samples * samples;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0; // premultiplied sums over samples
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = px + (sx + 0.5) / samples;
          const y = py + (sy + 0.5) / samples;
          let cr = 0;
          let cg = 0;
          let cb = 0;
          let ca = 0;
          for (const layer of layers) {
            if (!layer.inside(x, y)) continue;
            const la = layer.alpha;
            cr = layer.colour[0] * la + cr * (1 - la);
            cg = layer.colour[1] * la + cg * (1 - la);
            cb = layer.colour[2] * la + cb * (1 - la);
            ca = la + ca * (1 - la);
          }
          r += cr;
          g += cg;
          b += cb;
          a += ca;
        }
      }
      const i = (py * size + px) * 4;
      const alpha = a / n;
      if (alpha > 0) {
        out[i] = Math.round(r / n / alpha);
        out[i + 1] = Math.round(g / n / alpha);
        out[i + 2] = Math.round(b / n / alpha);
        out[i + 3] = Math.round(alpha * 255);
      }
    }
  }
  return out;
}

// ---------- The two icons ----------

function colourIcon() {
  const size = 192;
  const r = 38;
  const left = [78, 96];
  const right = [114, 96];
  return render(size, [
    { inside: (x, y) => inRoundedSquare(x, y, size, 40), colour: ACCENT, alpha: 1 },
    { inside: (x, y) => inCircle(x, y, left[0], left[1], r), colour: WHITE, alpha: 0.55 },
    { inside: (x, y) => inCircle(x, y, right[0], right[1], r), colour: WHITE, alpha: 0.55 },
    // The common ground: where the two circles overlap, solid white.
    {
      inside: (x, y) => inCircle(x, y, left[0], left[1], r) && inCircle(x, y, right[0], right[1], r),
      colour: WHITE,
      alpha: 1,
    },
  ]);
}

function outlineIcon() {
  const size = 32;
  const r = 9;
  const left = [11.5, 16];
  const right = [20.5, 16];
  return render(size, [
    { inside: (x, y) => inRing(x, y, left[0], left[1], r, 2), colour: WHITE, alpha: 1 },
    { inside: (x, y) => inRing(x, y, right[0], right[1], r, 2), colour: WHITE, alpha: 1 },
    {
      inside: (x, y) => inCircle(x, y, left[0], left[1], r) && inCircle(x, y, right[0], right[1], r),
      colour: WHITE,
      alpha: 1,
    },
  ]);
}

function writeIcons(dir = __dirname) {
  const colour = path.join(dir, 'color.png');
  const outline = path.join(dir, 'outline.png');
  fs.writeFileSync(colour, encodePng(192, 192, colourIcon()));
  fs.writeFileSync(outline, encodePng(32, 32, outlineIcon()));
  return { colour, outline };
}

module.exports = { encodePng, crc32, writeIcons };

if (require.main === module) {
  const written = writeIcons();
  console.log(`Wrote ${path.relative(process.cwd(), written.colour)} and ${path.relative(process.cwd(), written.outline)}`);
}
