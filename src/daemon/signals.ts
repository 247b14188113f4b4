// Long-running commands stop on the first SIGINT or SIGTERM and then finish stopping, whatever comes
// after. Ctrl-C in a terminal signals the whole process group and systemd every process of the unit, often
// more than once; a repeat must not end the process halfway through removing containers, rules and links.
// The listeners stay for the life of the process, since without one a signal ends it at once.
export function untilSignal(onRepeat: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let stopping = false;
    const on = (signal: NodeJS.Signals) => {
      if (stopping) onRepeat(signal);
      stopping = true;
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
