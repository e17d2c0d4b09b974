declare module 'plotly.js-basic-dist-min' {
  const Plotly: {
    newPlot(el: HTMLElement, data: any[], layout?: any, config?: any): Promise<unknown>;
    purge(el: HTMLElement): void;
  };
  export default Plotly;
}
