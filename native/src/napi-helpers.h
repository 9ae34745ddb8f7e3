// Small helpers shared by the addon's feature files.
#pragma once
#include <napi.h>

#include <string>

namespace apollo {

// Reads a typed array of the expected type, or throws a TypeError naming the argument.
template <typename T>
inline bool GetTypedArray(const Napi::Env& env, const Napi::Value& v, napi_typedarray_type type, const char* name,
                   T** data, size_t* length) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    Napi::TypeError::New(env, std::string(name) + " has the wrong typed-array type").ThrowAsJavaScriptException();
    return false;
  }
  auto arr = v.As<Napi::TypedArray>();
  auto buf = arr.ArrayBuffer();
  *data = reinterpret_cast<T*>(static_cast<uint8_t*>(buf.Data()) + arr.ByteOffset());
  *length = arr.ElementLength();
  return true;
}

}  // namespace apollo
