// The fsync policy (`--fsync`) and, for the start-up log, what is in force and what it risks.
// Defined here, where it is obeyed: the broker's config parses into it, and the store never
// imports the config.

export type FsyncPolicy = { mode: 'always' } | { mode: 'interval'; ms: number } | { mode: 'off' }

export function describePolicy(policy: FsyncPolicy): string {
  return policy.mode === 'interval' ? `interval:${policy.ms}` : policy.mode
}

export function fsyncRisk(policy: FsyncPolicy): string {
  switch (policy.mode) {
    case 'always':
      return 'fsync always: a publish is confirmed only after its record is fsynced; confirmed messages survive kill -9 and power loss'
    case 'interval':
      return `fsync interval:${policy.ms}: publishes are confirmed once written and fsynced every ${policy.ms} ms; ` +
        `up to ${policy.ms} ms of confirmed publishes can be lost on power loss or a crash of the machine (kill -9 of the broker alone loses none)`
    case 'off':
      return 'fsync off: publishes are confirmed once written and the OS decides when they reach the disk; ' +
        'a power loss or crash of the machine can lose any confirmed publish not yet flushed (kill -9 of the broker alone loses none)'
  }
}
