// The C library's heap, seen from the engine: how much of it is in use and how much is free but
// still held, and a way to hand the free part back to the OS.
//
// The engine runs onnxruntime without its arena and with glibc's mmap and trim thresholds raised
// (host/engine-client/engine-environment.ts), so the activations of a prefill chunk are served
// from the heap and freed blocks are reused by the next chunk instead of being mapped and zeroed
// again. The cost of that is that the heap keeps its high-water mark: a prefill pass at long
// context leaves hundreds of MB free but held. releaseFreeHeap() (glibc malloc_trim(0), which
// also returns whole free pages inside the heap) is called between passes so that what a session
// holds is its weights, its KV cache and one pass's working set. Elsewhere both are no-ops that
// say so (macOS and Windows allocators return large blocks on free).
#include <napi.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "register.h"

namespace {

// heapStats(): { supported, inUseBytes, freeBytes }
Napi::Value JsHeapStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 m = mallinfo2();
  out.Set("supported", true);
  out.Set("inUseBytes", static_cast<double>(m.uordblks + m.hblkhd));
  out.Set("freeBytes", static_cast<double>(m.fordblks));
#else
  out.Set("supported", false);
  out.Set("inUseBytes", 0);
  out.Set("freeBytes", 0);
#endif
  return out;
}

// releaseFreeHeap(): boolean (whether the C library was asked to)
Napi::Value JsReleaseFreeHeap(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  malloc_trim(0);
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

namespace apollo {
void RegisterHeap(Napi::Env env, Napi::Object exports) {
  exports.Set("heapStats", Napi::Function::New(env, JsHeapStats));
  exports.Set("releaseFreeHeap", Napi::Function::New(env, JsReleaseFreeHeap));
}
}  // namespace apollo
