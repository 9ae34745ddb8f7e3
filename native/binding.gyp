{
  "targets": [
    {
      "target_name": "apollo_native",
      "sources": ["src/addon.cc", "src/convert.cc", "src/quantize.cc", "src/memory-bandwidth.cc", "src/preprocess.cc", "src/attention.cc", "src/heap.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno"],
      "xcode_settings": {
        "GCC_OPTIMIZATION_LEVEL": "3",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-fno-math-errno"]
      },
      "msvs_settings": { "VCCLCompilerTool": { "Optimization": 2, "AdditionalOptions": ["/std:c++17"] } }
    }
  ]
}
