/*
 * Restricted unpickler for torch.save's `data.pkl` (pickle protocol 2).
 *
 * Byte layout: `80 02` (PROTO 2), then a stream of one-byte opcodes, some followed by arguments
 * (u8/u16/i32/u32 little-endian, BINFLOAT 8 bytes big-endian, LONG1 u8 n + n bytes two's complement,
 * BINUNICODE u32 n + n UTF-8 bytes, GLOBAL "module\nname\n"), ending with `2E` (STOP).
 * Only the 31 opcodes of pt-format.md §6.1 are accepted; GLOBALs go through torch-globals.ts.
 * Nothing is executed: REDUCE only builds tensors, OrderedDicts, devices and sizes.
 */
import { BundleError, NOTHING_LOADED } from './bundle-error';
import { MAX_NESTING_DEPTH, nestedTooDeeply, type DecodeBudget } from './limits';
import { PyDict, PyTensor, TorchRef, type PyKey, type PyValue } from './py-value';
import { callGlobal, isGlobal, isStorage, resolveGlobal, type GlobalRef, type StorageRef } from './torch-globals';

/** Limits from pt-format.md §6.3; torch's own output is far below each. */
const MAX_OPS = 10_000_000;
const MAX_MARK_DEPTH = MAX_NESTING_DEPTH;
const MAX_LONG_BYTES = 16;

const MARK = Symbol('mark');
type Item = PyValue | GlobalRef | StorageRef | TorchRef | typeof MARK;

export interface UnpickleOptions {
  /** BINPERSID: turns a persistent id tuple into a storage (pt.ts reads `data/<key>`). */
  persistentLoad(pid: readonly unknown[]): StorageRef;
  /** Tensor bytes and REDUCE work the file may cost (limits.ts budgetFor). */
  budget: DecodeBudget;
}

const OPCODE_NAMES: Record<number, string> = {
  0x95: 'FRAME', 0x8c: 'SHORT_BINUNICODE', 0x94: 'MEMOIZE', 0x93: 'STACK_GLOBAL', 0x43: 'SHORT_BINBYTES',
  0x42: 'BINBYTES', 0x8b: 'LONG4', 0x69: 'INST', 0x6f: 'OBJ', 0x50: 'PERSID', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX',
  0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
};

export function corruptPickle(what: string): BundleError {
  return new BundleError(`data.pkl is corrupt (${what}). Re-save the checkpoint with torch.save. ${NOTHING_LOADED}`, { entry: 'data.pkl' });
}

function forbiddenOpcode(op: number): BundleError {
  const hex = `0x${op.toString(16).padStart(2, '0')}`;
  const name = OPCODE_NAMES[op] ? ` (${OPCODE_NAMES[op]})` : '';
  return new BundleError(
    `pickle opcode ${hex}${name} in data.pkl is not allowed; only the protocol-2 opcodes torch.save writes are read. ` +
      `Re-save with torch.save(obj, path) and the default pickle_protocol=2. ${NOTHING_LOADED}`,
    { entry: `opcode ${hex}` },
  );
}

const isKey = (v: unknown): v is PyKey => v === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof v);

/** Runs the restricted pickle VM over `bytes` and returns the root object. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const memo = new Map<number, Item>();
  const marks: Item[][] = [];
  let stack: Item[] = [];
  let pos = 0;

  const need = (n: number) => {
    if (pos + n > bytes.length) throw corruptPickle('ends before STOP');
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): Item => {
    if (stack.length === 0) throw corruptPickle('stack underflow');
    return stack.pop()!;
  };
  const popValue = (): Exclude<Item, typeof MARK> => {
    const v = pop();
    if (v === MARK) throw corruptPickle('unexpected MARK');
    return v;
  };
  const popMark = (): Item[] => {
    const items = stack;
    const below = marks.pop();
    if (!below) throw corruptPickle('missing MARK');
    stack = below;
    return items;
  };
  const top = (): Item => {
    if (stack.length === 0) throw corruptPickle('stack underflow');
    return stack[stack.length - 1];
  };
  const readLine = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw corruptPickle('GLOBAL without newline');
    const s = decodeText(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const decodeText = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      throw corruptPickle('invalid UTF-8 string');
    }
  };
  const tuple = (items: Item[]): Item => Object.freeze(items) as Item; // tuples may hold storages and globals until REDUCE
  const put = (i: number) => memo.set(i, top());
  const get = (i: number) => {
    if (!memo.has(i)) throw corruptPickle(`memo entry ${i} is not set`);
    stack.push(memo.get(i)!);
  };
  const appendTo = (items: Item[]) => {
    const list = top();
    if (!Array.isArray(list) || Object.isFrozen(list)) throw corruptPickle('APPEND onto a non-list');
    for (const v of items) {
      if (v === MARK) throw corruptPickle('unexpected MARK');
      (list as Item[]).push(v); // no push(...items): a huge spread overflows the call stack
    }
  };
  const setItems = (items: Item[]) => {
    const dict = top();
    if (!(dict instanceof PyDict)) throw corruptPickle('SETITEM onto a non-dict');
    if (items.length % 2) throw corruptPickle('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) {
      const k = items[i];
      if (!isKey(k)) throw corruptPickle('dict key of an unsupported type');
      dict.set(k, items[i + 1] as PyValue);
    }
  };

  for (let ops = 0; ; ops++) {
    if (ops > MAX_OPS) throw corruptPickle(`more than ${MAX_OPS} opcodes`);
    const op = bytes[need(1)];
    switch (op) {
      case 0x80: { // PROTO
        const proto = bytes[need(1)];
        if (proto !== 2) {
          throw new BundleError(`data.pkl uses pickle protocol ${proto}; only protocol 2 (torch.save's default) is read. ` +
            `Re-save with torch.save(obj, path) without pickle_protocol. ${NOTHING_LOADED}`, { entry: 'opcode 0x80' });
        }
        break;
      }
      case 0x2e: { // STOP
        if (marks.length || stack.length !== 1) throw corruptPickle('STOP with a malformed stack');
        return finish(popValue());
      }
      case 0x28: // MARK
        if (marks.length >= MAX_MARK_DEPTH) throw corruptPickle('MARKs nested too deeply');
        marks.push(stack);
        stack = [];
        break;
      case 0x29: stack.push(tuple([])); break; // EMPTY_TUPLE
      case 0x74: { const items = popMark(); stack.push(tuple(items)); break; } // TUPLE: pop first, then push
      case 0x85: case 0x86: case 0x87: { // TUPLE1..3
        const n = op - 0x84;
        const items: Item[] = [];
        for (let i = 0; i < n; i++) items.unshift(popValue());
        stack.push(tuple(items));
        break;
      }
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x61: { const v = popValue(); appendTo([v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendTo(items); break; } // APPENDS
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x73: { const v = popValue(); const k = popValue(); setItems([k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(items); break; } // SETITEMS
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4b: stack.push(bytes[need(1)]); break; // BININT1
      case 0x4d: stack.push(view.getUint16(need(2), true)); break; // BININT2
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x8a: stack.push(readLong1()); break;
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT, big-endian
      case 0x58: { // BINUNICODE
        const n = view.getUint32(need(4), true);
        stack.push(decodeText(bytes.subarray(need(n), pos)));
        break;
      }
      case 0x55: { // SHORT_BINSTRING (Python 2 str)
        const n = bytes[need(1)];
        stack.push(decodeText(bytes.subarray(need(n), pos)));
        break;
      }
      case 0x71: put(bytes[need(1)]); break; // BINPUT
      case 0x72: put(view.getUint32(need(4), true)); break; // LONG_BINPUT
      case 0x68: get(bytes[need(1)]); break; // BINGET
      case 0x6a: get(view.getUint32(need(4), true)); break; // LONG_BINGET
      case 0x63: { const module = readLine(); stack.push(resolveGlobal(module, readLine())); break; } // GLOBAL
      case 0x52: { // REDUCE
        const args = popValue();
        const fn = popValue();
        if (!isGlobal(fn)) throw corruptPickle('REDUCE on a value that is not an allowed callable');
        if (!Array.isArray(args) || !Object.isFrozen(args)) throw corruptPickle('REDUCE arguments are not a tuple');
        stack.push(callGlobal(fn, args, options.budget));
        break;
      }
      case 0x62: { // BUILD: only an OrderedDict with a dict state (torch's `_metadata`)
        const state = popValue();
        const target = top();
        if (!(target instanceof PyDict) || !target.ordered || !(state instanceof PyDict)) {
          throw new BundleError(`data.pkl performs a forbidden operation (BUILD on something other than an OrderedDict). ` +
            `This file may be malicious; nothing was loaded.`, { entry: 'opcode 0x62' });
        }
        target.metadata = state.get('_metadata') ?? null;
        break;
      }
      case 0x51: { // BINPERSID
        const pid = popValue();
        if (!Array.isArray(pid) || !Object.isFrozen(pid)) throw corruptPickle('persistent id is not a tuple');
        stack.push(options.persistentLoad(pid));
        break;
      }
      default:
        throw forbiddenOpcode(op);
    }
  }

  function readLong1(): number | bigint {
    const n = bytes[need(1)];
    if (n > MAX_LONG_BYTES) throw corruptPickle(`integer of ${n} bytes`);
    const at = need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
    if (n > 0 && bytes[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
}

/**
 * Checks the finished object: no internal references (globals, raw storages) left in it, no
 * container that contains itself (writers and tree walkers would loop forever), and no nesting
 * deeper than MAX_NESTING_DEPTH. Iterative, and each shared (memoized) object is visited once, so a
 * deep or DAG-shaped pickle costs time linear in its size, never the call stack.
 */
function finish(root: Item): PyValue {
  const heights = new Map<object, number>(); // finished containers -> levels below them
  const active = new Set<object>();
  const frames: Array<{ node: object; children: unknown[]; next: number; height: number }> = [];
  /** Pushes a frame for an unseen container; returns the height of anything already known. */
  const enter = (v: unknown): number | undefined => {
    if (v === null || typeof v !== 'object' || v instanceof PyTensor || v instanceof TorchRef) return 0;
    if (isGlobal(v) || isStorage(v)) throw corruptPickle('a storage or class reference outside a tensor');
    const known = heights.get(v);
    if (known !== undefined) {
      if (frames.length + known > MAX_NESTING_DEPTH) throw nestedTooDeeply('data.pkl');
      return known;
    }
    if (active.has(v)) throw corruptPickle('a container that contains itself');
    let children: unknown[];
    if (v instanceof PyDict) {
      children = [...v.values()];
      if (v.metadata !== undefined) children.push(v.metadata);
    } else if (Array.isArray(v)) {
      children = v;
    } else {
      throw corruptPickle('an unexpected object');
    }
    if (frames.length >= MAX_NESTING_DEPTH) throw nestedTooDeeply('data.pkl');
    active.add(v);
    frames.push({ node: v, children, next: 0, height: 0 });
    return undefined;
  };
  enter(root);
  while (frames.length) {
    const f = frames[frames.length - 1];
    if (f.next < f.children.length) {
      const h = enter(f.children[f.next++]);
      if (h !== undefined) f.height = Math.max(f.height, h + 1);
      continue;
    }
    frames.pop();
    active.delete(f.node);
    heights.set(f.node, f.height);
    const parent = frames[frames.length - 1];
    if (parent) parent.height = Math.max(parent.height, f.height + 1);
  }
  return root as PyValue;
}
