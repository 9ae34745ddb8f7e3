// An independent Qwen2 oracle in numpy, written the way HF transformers' modelling code computes
// (repeat_kv, rotate_half, eager causal softmax, full recompute each step, no KV cache), reading the
// safetensors shards itself. Input on stdin: {llm, prompts, newTokens}; output: greedy ids per prompt.
export const QWEN2_NUMPY_ORACLE = String.raw`
# HF-style Qwen2 greedy decoding in numpy (repeat_kv, rotate_half, eager causal softmax), fp32.
import json, sys, os, glob
import numpy as np

args = json.load(sys.stdin); llm = args['llm']; n_new = args['newTokens']
cfg = json.load(open(os.path.join(llm, 'config.json')))
tensors = {}
for path in sorted(glob.glob(os.path.join(llm, '*.safetensors'))):
    raw = open(path, 'rb').read()
    n = int.from_bytes(raw[:8], 'little'); header = json.loads(raw[8:8 + n]); base = 8 + n
    for name, meta in header.items():
        if name == '__metadata__': continue
        a, b = meta['data_offsets']; buf = raw[base + a: base + b]
        if meta['dtype'] == 'BF16':
            arr = (np.frombuffer(buf, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif meta['dtype'] == 'F16':
            arr = np.frombuffer(buf, dtype=np.float16).astype(np.float32)
        else:
            arr = np.frombuffer(buf, dtype=np.float32)
        tensors[name] = arr.reshape(meta['shape'])
H = cfg['hidden_size']; nh = cfg['num_attention_heads']; nkv = cfg['num_key_value_heads']; hd = H // nh
eps = cfg['rms_norm_eps']; theta = cfg['rope_theta']; L = cfg['num_hidden_layers']
W = lambda k: tensors[k]
head = W('model.embed_tokens.weight') if cfg['tie_word_embeddings'] else W('lm_head.weight')

def rms(x, w):
    var = np.mean(x * x, axis=-1, keepdims=True)
    return w * (x / np.sqrt(var + eps))

inv_freq = 1.0 / (theta ** (np.arange(0, hd, 2, dtype=np.int64).astype(np.float32) / hd))
def rope(x, pos):  # x [heads, seq, hd]
    freqs = np.outer(np.asarray(pos, dtype=np.float32), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)
    rot = np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], axis=-1)
    return x * cos + rot * sin

def forward(ids):  # full recompute each step (no cache): the simplest correct form
    x = W('model.embed_tokens.weight')[ids].astype(np.float32)
    S = len(ids); pos = list(range(S))
    mask = np.triu(np.full((S, S), -np.inf, dtype=np.float32), 1)
    for i in range(L):
        p = f'model.layers.{i}.'
        h = rms(x, W(p + 'input_layernorm.weight'))
        q = h @ W(p + 'self_attn.q_proj.weight').T + W(p + 'self_attn.q_proj.bias')
        k = h @ W(p + 'self_attn.k_proj.weight').T + W(p + 'self_attn.k_proj.bias')
        v = h @ W(p + 'self_attn.v_proj.weight').T + W(p + 'self_attn.v_proj.bias')
        q = rope(q.reshape(S, nh, hd).transpose(1, 0, 2), pos)
        k = rope(k.reshape(S, nkv, hd).transpose(1, 0, 2), pos)
        v = v.reshape(S, nkv, hd).transpose(1, 0, 2)
        k = np.repeat(k, nh // nkv, axis=0); v = np.repeat(v, nh // nkv, axis=0)  # repeat_kv
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True)); s = s / s.sum(-1, keepdims=True)
        o = (s @ v).transpose(1, 0, 2).reshape(S, H) @ W(p + 'self_attn.o_proj.weight').T
        x = x + o
        h = rms(x, W(p + 'post_attention_layernorm.weight'))
        g = h @ W(p + 'mlp.gate_proj.weight').T; u = h @ W(p + 'mlp.up_proj.weight').T
        x = x + ((g / (1 + np.exp(-g))) * u) @ W(p + 'mlp.down_proj.weight').T
    return rms(x[-1], W('model.norm.weight')) @ head.T

results = []
for prompt in args['prompts']:
    ids = list(prompt); out = []
    for _ in range(n_new):
        t = int(np.argmax(forward(ids))); out.append(t); ids.append(t)
    results.append(out)
print(json.dumps(results))
`;
