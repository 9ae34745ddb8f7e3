// English cardinals exactly as Python's num2words (lang_EN) writes them: "eighty-four",
// "one hundred and twenty-three", "one thousand, two hundred and thirty-four". A port of
// num2words' splitnum / clean / merge, so that its comma and "and" rules match word for word.

type Pair = readonly [text: string, value: number];
type Node = Pair | Node[];

const LOW = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty'];
const MID: Pair[] = [[ 'thousand', 1000 ], [ 'hundred', 100 ], [ 'ninety', 90 ], [ 'eighty', 80 ], [ 'seventy', 70 ], [ 'sixty', 60 ], [ 'fifty', 50 ], [ 'forty', 40 ], [ 'thirty', 30 ]];
const HIGH: Pair[] = [['quadrillion', 1e15], ['trillion', 1e12], ['billion', 1e9], ['million', 1e6]];

/** num2words' `cards`, largest first (its OrderedDict order). */
const CARDS: Pair[] = [...HIGH, ...MID, ...LOW.map((w, n) => [w, n] as Pair).reverse()];
const cardWord = (n: number): string => CARDS.find(([, v]) => v === n)![0];

const isPair = (node: Node): node is Pair => typeof node[0] === 'string';

function splitnum(value: number): Node[] {
  for (const [word, elem] of CARDS) {
    if (elem > value) continue;
    const out: Node[] = [];
    const div = value === 0 ? 1 : Math.floor(value / elem);
    const mod = value === 0 ? 0 : value - div * elem;
    if (div === 1) out.push(['one', 1]);
    else out.push(splitnum(div));
    out.push([word, elem]);
    if (mod) out.push(splitnum(mod));
    return out;
  }
  throw new RangeError(`no card for ${value}`);
}

function merge([ltext, lnum]: Pair, [rtext, rnum]: Pair): Pair {
  if (lnum === 1 && rnum < 100) return [rtext, rnum];
  if (100 > lnum && lnum > rnum) return [`${ltext}-${rtext}`, lnum + rnum];
  if (lnum >= 100 && 100 > rnum) return [`${ltext} and ${rtext}`, lnum + rnum];
  if (rnum > lnum) return [`${ltext} ${rtext}`, lnum * rnum];
  return [`${ltext}, ${rtext}`, lnum + rnum];
}

/** num2words' `clean`: repeatedly merges the first two pairs, flattening nested lists. */
function clean(input: Node[]): Node {
  let val = input;
  let out: Node[] = val;
  while (val.length !== 1) {
    out = [];
    const [left, right] = val as [Node, Node];
    if (isPair(left) && isPair(right)) {
      out.push(merge(left, right));
      if (val.length > 2) out.push(val.slice(2));
    } else {
      for (const elem of val) {
        if (isPair(elem)) out.push(elem);
        else if (elem.length === 1) out.push(elem[0]!);
        else out.push(clean(elem));
      }
    }
    val = out;
  }
  return out[0]!;
}

/** `num2words(n)` for a non-negative safe integer below 10^18 (lang EN, cardinal). */
export function englishCardinal(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`englishCardinal: ${n} is not a non-negative safe integer`);
  if (n <= 20) return cardWord(n);
  const node = clean(splitnum(n));
  if (!isPair(node)) throw new Error(`englishCardinal: could not merge ${n}`);
  return node[0];
}
