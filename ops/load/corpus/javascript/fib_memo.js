function fibSlow(n) {
  return n < 2 ? n : fibSlow(n - 1) + fibSlow(n - 2);
}

const memo = new Map();
function fibFast(n) {
  if (n < 2) return BigInt(n);
  if (memo.has(n)) return memo.get(n);
  const v = fibFast(n - 1) + fibFast(n - 2);
  memo.set(n, v);
  return v;
}

let t = Date.now();
console.log('fibSlow(36) =', fibSlow(36), `in ${Date.now() - t} ms`);
t = Date.now();
console.log('fibFast(300) =', fibFast(300).toString(), `in ${Date.now() - t} ms`);
