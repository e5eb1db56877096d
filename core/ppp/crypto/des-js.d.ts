/** Types for the `des.js` package (CommonJS, ships no declarations); only what crypto/legacy.ts uses. */
declare module 'des.js' {
  interface DesCipher {
    update(data: ArrayLike<number>): number[];
    final(): number[];
  }
  interface DesModule {
    readonly DES: {
      create(options: { type: 'encrypt' | 'decrypt'; key: ArrayLike<number>; padding?: boolean }): DesCipher;
    };
  }
  const des: DesModule;
  export default des;
}
