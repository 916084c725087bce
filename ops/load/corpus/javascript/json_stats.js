const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
  const lengths = lines.map((l) => l.length);
  const total = lengths.reduce((a, b) => a + b, 0);
  const summary = {
    lines: lines.length,
    longest: Math.max(0, ...lengths),
    average: lines.length ? +(total / lines.length).toFixed(2) : 0,
    firstWords: lines.map((l) => l.split(/\s+/)[0]).slice(0, 5),
  };
  console.log(JSON.stringify(summary, null, 2));
});
