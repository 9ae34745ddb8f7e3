// Python oracle: transformers' slow Qwen2Tokenizer decoding (convert_ids_to_tokens with
// skip_special_tokens, legacy added tokens emitted whole between byte runs, bytes decoded with
// errors="replace"), re-implemented from the tokenizer files, plus str.strip().
import { runPython } from '../helpers/python-oracle.js';

const ORACLE = String.raw`
import json, sys
req = json.load(sys.stdin)
tj = json.load(open(req["tokenizer"], encoding="utf-8"))
cfg = req["config"]
vocab = tj["model"]["vocab"]
added = {t["id"]: t["content"] for t in tj["added_tokens"] if t["id"] <= req["lastAddedId"]}
def content(v):
    return v if isinstance(v, str) or v is None else v["content"]
named = [content(cfg.get(k)) for k in ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")]
additional = [content(t) for t in cfg.get("additional_special_tokens", [])]
all_special = set(t for t in named + additional if t is not None)
ids_of = dict(vocab); ids_of.update({c: i for i, c in added.items()})
all_special_ids = set(ids_of[t] for t in all_special if t in ids_of)
legacy = (set(added.values()) - all_special) | set(t for t in additional if ids_of[t] >= len(vocab))
bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + list(range(ord("\u00ae"), ord("\u00ff") + 1))
cs = bs[:]
n = 0
for b in range(256):
    if b not in bs:
        bs.append(b); cs.append(256 + n); n += 1
byte_decoder = {chr(c): b for b, c in zip(bs, cs)}
decoder = {v: k for k, v in vocab.items()}
def to_string(tokens):
    return bytearray([byte_decoder[c] for c in "".join(tokens)]).decode("utf-8", errors="replace")
def decode(ids, skip):
    tokens = [added[i] if i in added else decoder[i] for i in ids if not (skip and i in all_special_ids)]
    subs, cur = [], []
    for t in tokens:
        if t in legacy:
            if cur:
                s = to_string(cur)
                if len(s) > 0: subs.append(s)
                cur = []
            subs.append(t)
        else:
            cur.append(t)
    if cur: subs.append(to_string(cur))
    return "".join(subs)
out = []
for case in req["cases"]:
    text = decode(case["ids"], case["skip"])
    out.append({"text": text, "stripped": text.strip()})
sys.stdout.write(json.dumps(out, ensure_ascii=True))
`;

export interface SlowDecodeCase {
  ids: number[];
  skip: boolean;
}

export function slowDecodeOracle(
  tokenizerPath: string,
  tokenizerConfig: Record<string, unknown>,
  lastAddedId: number,
  cases: SlowDecodeCase[],
): { text: string; stripped: string }[] {
  const request = JSON.stringify({ tokenizer: tokenizerPath, config: tokenizerConfig, lastAddedId, cases });
  return JSON.parse(runPython(ORACLE, request).toString('utf8')) as { text: string; stripped: string }[];
}

/** Id sequences that stress decoding: partial UTF-8 pieces, whitespace, special and added tokens. */
export function stressIdSequences(random: () => number, count: number, maxLength: number, idCount: number): number[][] {
  const interesting = [
    11162, 99, 247, 26525, 114, 378, 235, 149921, 30543, 145836, 44258, 233, 97529, 241, 220, 198, 256, 271, 197, 1406, 9707,
    21927, 151643, 151644, 151645, 151646, 151656, 151657, 151658, 151659, 151664, 15, 16, 13,
  ];
  const out: number[][] = [];
  for (let c = 0; c < count; c++) {
    const length = Math.floor(random() * maxLength);
    const ids: number[] = [];
    for (let i = 0; i < length; i++) {
      ids.push(random() < 0.6 ? (interesting[Math.floor(random() * interesting.length)] as number) : Math.floor(random() * idCount));
    }
    out.push(ids);
  }
  return out;
}
