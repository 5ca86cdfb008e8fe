/*
 * Key scan of a JSON text that JSON.parse has already accepted. JSON.parse silently keeps the last
 * of two equal keys and JS objects move integer-like keys first; safetensors needs both the real
 * key order and duplicate detection, so this walks the text once, tracking strings and nesting.
 */

export interface JsonKeys {
  /** Keys of the outermost object, in text order. */
  topLevel: string[];
  /** The first key that appears twice in one object, anywhere in the document. */
  duplicate?: string;
}

/** Scans `text` (already valid JSON) for object keys. */
export function scanJsonKeys(text: string): JsonKeys {
  const topLevel: string[] = [];
  const objects: Array<Set<string> | null> = []; // null marks an array level
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const keys = objects[objects.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return { topLevel, duplicate: key };
        keys.add(key);
        if (objects.length === 1) topLevel.push(key);
      }
      expectKey = false;
      i = j;
    } else if (c === '{') {
      objects.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      objects.push(null);
    } else if (c === '}' || c === ']') {
      objects.pop();
    } else if (c === ',') {
      expectKey = objects[objects.length - 1] instanceof Set;
    }
  }
  return { topLevel };
}
