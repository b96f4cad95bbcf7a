/**
 * A bounded map, the oldest entries going first: the caches of the fast reader (ndb.ts), look-ups
 * bounded by count and decoded blocks by bytes (`size`).
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  private weight = 0;
  constructor(private readonly max: number, private readonly size: (v: V) => number = () => 1) {}
  get(key: K): V | undefined { return this.map.get(key); }
  set(key: K, value: V): void {
    const w = this.size(value);
    if (w > this.max) return;
    const old = this.map.get(key);
    if (old !== undefined) { this.weight -= this.size(old); this.map.delete(key); }
    while (this.weight + w > this.max && this.map.size) {
      const [k, v] = this.map.entries().next().value as [K, V];
      this.map.delete(k);
      this.weight -= this.size(v);
    }
    this.map.set(key, value);
    this.weight += w;
  }
  get count(): number { return this.map.size; }
  get bytes(): number { return this.weight; }
}
