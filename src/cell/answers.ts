// A cell's answers to the control plane's questions about its host (`weft explain`), from what the kernel
// holds as read back from nftables, and the names each instance's 61443 certificate carries as served.
import type { CellAnswer, CellQuestion } from '../contract/inspect.js';
import type { EnforcerElements } from '../enforcer/elements.js';

export function answerQuestion(
  live: EnforcerElements,
  question: CellQuestion,
  servedNames: (instanceGuid: string) => string[] | null,
): CellAnswer {
  const tagOf = new Map(live.tags.map((t) => [t.ip, t.tag]));
  return {
    flows: question.flows.map((f) => {
      const srcTag = tagOf.get(f.srcIp) ?? null;
      const dstTag = tagOf.get(f.dstIp) ?? null;
      const sets = f.protocol === 'tcp' ? [live.tcpPorts, live.tcpRanges] : [live.udpPorts, live.udpRanges];
      const admitted =
        srcTag !== null &&
        dstTag !== null &&
        sets.some((set) =>
          set.some(
            (e) => e.srcTag === srcTag && e.dstTag === dstTag && e.startPort <= f.port && f.port <= e.endPort,
          ),
        );
      return { ...f, srcTag, dstTag, admitted };
    }),
    certificates: question.certificates.map((instanceGuid) => ({
      instanceGuid,
      names: servedNames(instanceGuid),
    })),
  };
}
