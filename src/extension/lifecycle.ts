/**
 * A base for objects that own other disposables: everything registered through `_register` is
 * disposed with its owner, in reverse order, so nothing a view or controller created outlives it.
 */
export interface IDisposable {
  dispose(): unknown;
}

export abstract class Disposable implements IDisposable {
  private readonly owned: IDisposable[] = [];
  private disposed = false;

  protected _register<T extends IDisposable>(d: T): T {
    if (this.disposed) {
      d.dispose();
    } else {
      this.owned.push(d);
    }
    return d;
  }

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.owned.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // one failing disposal must not keep the rest alive
      }
    }
  }
}

export function toDisposable(fn: () => void): IDisposable {
  return { dispose: fn };
}
