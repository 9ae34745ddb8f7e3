// One registration function per feature file of the addon; Init in addon.cc calls each.
#pragma once
#include <napi.h>

namespace apollo {
void RegisterConvert(Napi::Env env, Napi::Object exports);
void RegisterQuantize(Napi::Env env, Napi::Object exports);
void RegisterMemoryBandwidth(Napi::Env env, Napi::Object exports);
void RegisterPreprocess(Napi::Env env, Napi::Object exports);
void RegisterAttention(Napi::Env env, Napi::Object exports);
void RegisterHeap(Napi::Env env, Napi::Object exports);
}  // namespace apollo
