import { BACKEND_CHOICES, type BackendChoice } from '../shared/config';

/** `?backend=webgpu` forces a backend over the Train cell's choice; unknown values are ignored. */
export function readForcedBackend(search = window.location.search): BackendChoice | null {
  const value = new URLSearchParams(search).get('backend');
  if (value && !(BACKEND_CHOICES as readonly string[]).includes(value)) {
    console.warn(`Ignoring ?backend=${value}: expected one of ${BACKEND_CHOICES.join(', ')}`);
    return null;
  }
  return value as BackendChoice | null;
}
