class TodoList {
  constructor() {
    this.items = [];
    this.nextId = 1;
  }

  add(title, priority = 2) {
    const item = { id: this.nextId++, title, priority, done: false };
    this.items.push(item);
    return item;
  }

  complete(id) {
    const item = this.items.find((i) => i.id === id);
    if (!item) throw new Error(`no item ${id}`);
    item.done = true;
  }

  pending() {
    return this.items.filter((i) => !i.done).sort((a, b) => a.priority - b.priority || a.id - b.id);
  }
}

const list = new TodoList();
list.add('write the parser', 1);
list.add('buy milk', 3);
list.add('review pull request', 1);
list.add('call the bank');
list.complete(2);
for (const item of list.pending()) console.log(`[${item.priority}] #${item.id} ${item.title}`);
console.log(`${list.pending().length} of ${list.items.length} left`);
