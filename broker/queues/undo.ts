// What a change in memory must take back when the log refuses its record (PROTOCOL.md §6
// "Semantics": a refused write leaves no trace). Steps run newest first, each checking that
// the state it restores is still the one it left.
export class Undo {
  private readonly steps: (() => void)[] = []

  constructor(step?: () => void) {
    if (step) this.steps.push(step)
  }

  add(step: () => void): void {
    this.steps.push(step)
  }

  run(): void {
    for (let i = this.steps.length - 1; i >= 0; i--) (this.steps[i] as () => void)()
    this.steps.length = 0
  }
}
