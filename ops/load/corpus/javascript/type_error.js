const users = [
  { name: 'ada', address: { city: 'London' } },
  { name: 'grace', address: { city: 'Arlington' } },
  { name: 'linus' },
];

for (const u of users) {
  console.log(`${u.name} lives in ${u.address.city}`);
}
