/** cluster-key-slot ships no types: the two functions Gatehouse uses. */
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (0-16383) of a key, honouring `{hash tags}`. */
  function generate(key: string | Buffer): number;
  namespace generate {
    /** The slot all keys share, or -1 when they span slots. */
    function generateMulti(keys: (string | Buffer)[]): number;
  }
  export = generate;
}
