/**
 * A bounded least-recently-used cache that loads what it lacks: decoded images shared by
 * many neurons' top lists are decoded once while they stay in it, and memory stays bounded.
 * Values are usually promises, so concurrent requests for one key share one load.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K, load: (key: K) => V): V {
    let value: V;
    if (this.map.has(key)) {
      value = this.map.get(key)!;
      this.map.delete(key);
    } else {
      value = load(key);
    }
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
    return value;
  }
}
