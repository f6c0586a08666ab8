// Token choice on the GPU, so that only token ids cross PCIe. The semantics and order are those of
// the CPU engine's Sampler (io.flashtensors.llm.generate.Sampler), which follows Hugging Face:
//   penalties -> greedy (first index of the max) | temperature -> top-k -> top-p -> min-p -> draw,
// the draw walking the kept tokens in ascending id order with the uniform u the host drew from the
// request's random stream. Where the CPU sums sequentially (softmax sums, top-p's cumulative
// probability, the draw) one thread does the same sums in the same order whenever the kept set is
// small (<= SAMPLE_CAP tokens: always with top-k <= SAMPLE_CAP), so the result matches bit for bit;
// larger sets use parallel sums in double precision, which can differ from the CPU only when a
// cumulative sum lands within rounding of a threshold.
//
// Decode state (int32, device memory): state[0] = position, state[1] = the current token id. The
// commit writes the chosen token to state[1] and *out_token, counts it for the penalties and
// advances state[0] by `advance` (so that a captured step can be replayed without the host).
#pragma once
#include "argmax.cuh"

namespace ft {

constexpr int SAMPLE_THREADS = 1024;
constexpr int SAMPLE_CAP = 2048;
constexpr int HIST_BITS = 11;  // coarse histogram of the keys' top bits, built by ft_sample_prepare
constexpr int HIST_BINS = 1 << HIST_BITS;

__device__ __forceinline__ void commit_token(int token, int* state, int* counts, int* out_token,
                                             int advance) {
  state[0] += advance;
  state[1] = token;
  *out_token = token;
  counts[token] += 1;
}

// Float order as unsigned order.
__device__ __forceinline__ uint32_t float_key(float f) {
  const uint32_t b = __float_as_uint(f);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
__device__ __forceinline__ float key_float(uint32_t k) {
  return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}

template <typename T>
__device__ __forceinline__ T block_sum(T v, T* scratch) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  T t = 0;
  for (int w = 0; w < (int)(blockDim.x / WARP); ++w) t += scratch[w];
  return t;
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
  v = warp_max(v);
  const int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float t = -INFINITY;
  for (int w = 0; w < (int)(blockDim.x / WARP); ++w) t = fmaxf(t, scratch[w]);
  return t;
}

// Exclusive prefix sum over the block's threads (in thread order) and the total.
__device__ __forceinline__ int block_exclusive_scan(int v, int* scratch, int* total) {
  const int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
  int incl = v;
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    const int t = __shfl_up_sync(0xffffffffu, incl, o);
    if (lane >= o) incl += t;
  }
  __syncthreads();
  if (lane == 31) scratch[warp] = incl;
  __syncthreads();
  int before = 0, all = 0;
  for (int w = 0; w < (int)(blockDim.x / WARP); ++w) {
    if (w < warp) before += scratch[w];
    all += scratch[w];
  }
  *total = all;
  return before + incl - v;
}

// The key of the k-th largest (1-based, counting duplicates) among keys[i] = key(i) for i < n,
// by four 8-bit radix passes with warp-aggregated shared-memory histograms.
template <typename KeyOf>
__device__ uint32_t radix_kth_largest(int n, int k, KeyOf key, int* hist, int* sh) {
  uint32_t prefix = 0, mask = 0;
  int remaining = k;
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int i = threadIdx.x; i < 256; i += blockDim.x) hist[i] = 0;
    __syncthreads();
    for (int base = 0; base < n; base += blockDim.x) {
      const int i = base + threadIdx.x;
      int digit = -1;
      if (i < n) {
        const uint32_t kk = key(i);
        if ((kk & mask) == prefix) digit = (kk >> shift) & 255;
      }
      const unsigned peers = __match_any_sync(0xffffffffu, digit);
      if (digit >= 0 && (threadIdx.x % WARP) == __ffs(peers) - 1) atomicAdd(&hist[digit], __popc(peers));
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      int cum = 0, b = 255;
      for (; b > 0; --b) {
        if (cum + hist[b] >= remaining) break;
        cum += hist[b];
      }
      sh[0] = b;
      sh[1] = remaining - cum;
    }
    __syncthreads();
    prefix |= (uint32_t)sh[0] << shift;
    mask |= 255u << shift;
    remaining = sh[1];
    __syncthreads();
  }
  return prefix;
}

// One sequential pass by thread 0 in ascending id order over the kept list: sum of e (double), as
// the CPU's softmax does; returns inv = (float)(1 / sum) and writes p = e * inv.
__device__ __forceinline__ float small_softmax(const float* e, float* p, const uint8_t* keep, int n,
                                               float* sh_inv) {
  __syncthreads();
  if (threadIdx.x == 0) {
    double sum = 0;
    for (int j = 0; j < n; ++j)
      if (keep[j]) sum += e[j];
    sh_inv[0] = (float)(1.0 / sum);
  }
  __syncthreads();
  const float inv = sh_inv[0];
  for (int j = threadIdx.x; j < n; j += blockDim.x) p[j] = keep[j] ? e[j] * inv : 0.f;
  __syncthreads();
  return inv;
}

}  // namespace ft

// Stage 1: the vocabulary mask (ids >= sampleable get -infinity), penalties and temperature into
// work[V]; per block the (max, first index) of the result.
// With hist (HIST_BINS ints, zero on entry) it also counts the results by their top HIST_BITS key
// bits, so that ft_sample_draw finds the top-k candidates in one pass.
FT_KERNEL void __launch_bounds__(ft::ARGMAX_THREADS)
    ft_sample_prepare(const float* logits, int V, int sampleable, const int* counts,
                      float presence, float frequency, float temperature, float* work,
                      float* part_v, int* part_i, int* hist) {
  __shared__ int local[ft::HIST_BINS];
  if (hist != nullptr) {
    for (int b = threadIdx.x; b < ft::HIST_BINS; b += blockDim.x) local[b] = 0;
    __syncthreads();
  }
  const bool penalties = presence != 0.f || frequency != 0.f;
  const bool scale = temperature != 0.f && temperature != 1.f;
  float best = -INFINITY;
  int best_i = 0x7fffffff;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < V; i += gridDim.x * blockDim.x) {
    float s = i < sampleable ? logits[i] : -INFINITY;  // padding rows of the embedding
    if (penalties) {
      const int c = counts[i];
      if (c > 0) s = __fsub_rn(s, __fadd_rn(__fmul_rn((float)c, frequency), presence));
    }
    if (scale) s = __fdiv_rn(s, temperature);
    work[i] = s;
    ft::argmax_merge(best, best_i, s, i);
    if (hist != nullptr) atomicAdd(&local[ft::float_key(s) >> (32 - ft::HIST_BITS)], 1);
  }
  if (hist != nullptr) {
    __syncthreads();
    for (int b = threadIdx.x; b < ft::HIST_BINS; b += blockDim.x)
      if (local[b] != 0) atomicAdd(&hist[b], local[b]);
  }
  ft::block_argmax(best, best_i);
  if (threadIdx.x == 0) {
    part_v[blockIdx.x] = best;
    part_i[blockIdx.x] = best_i;
  }
}

// Greedy choice, stage 1: each block reduces a slice of the logits to (max, first index).
FT_KERNEL void __launch_bounds__(ft::ARGMAX_THREADS)
    ft_argmax_partial(const float* logits, int V, float* part_v, int* part_i) {
  float v = -INFINITY;
  int idx = 0x7fffffff;
  for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < V; e += gridDim.x * blockDim.x)
    ft::argmax_merge(v, idx, logits[e], e);
  ft::block_argmax(v, idx);
  if (threadIdx.x == 0) {
    part_v[blockIdx.x] = v;
    part_i[blockIdx.x] = idx;
  }
}

// Greedy choice, stage 2: merges the (max, index) partials (of ft_argmax_partial or
// ft_sample_prepare) and commits the token.
FT_KERNEL void __launch_bounds__(ft::ARGMAX_THREADS)
    ft_argmax_commit(const float* part_v, const int* part_i, int parts, int* state, int* counts,
                     int* out_token, int advance) {
  float v = -INFINITY;
  int idx = 0x7fffffff;
  for (int e = threadIdx.x; e < parts; e += blockDim.x) ft::argmax_merge(v, idx, part_v[e], part_i[e]);
  ft::block_argmax(v, idx);
  if (threadIdx.x == 0) ft::commit_token(idx, state, counts, out_token, advance);
}

// Stage 2 of a random draw (temperature > 0), one block of SAMPLE_THREADS: top-k, top-p, min-p
// over work[V] (from ft_sample_prepare, whose partials give the max), then the draw with u.
// probs: V floats of device memory for the large path. hist: the prepare pass's histogram (or
// null), zeroed here for the next prepare.
FT_KERNEL void __launch_bounds__(ft::SAMPLE_THREADS)
    ft_sample_draw(const float* work, int V, const float* part_v, int parts, int top_k,
                   double top_p, float min_p, double u, float* probs, int* state, int* counts,
                   int* out_token, int advance, int* hist) {
  using namespace ft;
  __shared__ int hist_scratch[256];
  __shared__ int sh_i[4];
  __shared__ float sh_f[32];
  __shared__ double sh_d[32];
  __shared__ int scan_scratch[32];
  __shared__ int s_idx[SAMPLE_CAP];
  __shared__ float s_e[SAMPLE_CAP];
  __shared__ float s_p[SAMPLE_CAP];
  __shared__ uint8_t s_keep[SAMPLE_CAP];
  __shared__ unsigned long long s_order[SAMPLE_CAP];
  const int tid = threadIdx.x;

  // The max of work (always kept by every filter).
  float M = -INFINITY;
  for (int e = tid; e < parts; e += blockDim.x) M = fmaxf(M, part_v[e]);
  M = block_max(M, sh_f);

  // Top-k threshold: keep work[i] >= kth (ties with the k-th stay); else keep everything finite.
  float kth = -INFINITY;
  const bool use_k = top_k > 0 && top_k < V;
  auto kept_k = [&](float s) { return s != -INFINITY && (!use_k || s >= kth); };
  int n = -1;  // kept tokens, once known
  int* s_hist = reinterpret_cast<int*>(s_order);  // free until top-p sorts
  if (hist != nullptr) {
    for (int b = tid; b < HIST_BINS; b += blockDim.x) {
      s_hist[b] = hist[b];
      hist[b] = 0;  // ready for the next prepare
    }
    __syncthreads();
  }
  if (use_k && hist != nullptr) {
    // Fast path: the prepare pass's histogram names the coarse bin holding the k-th largest;
    // every token from that bin up is a candidate. Gather them in id order in one pass, then find
    // the exact k-th among them.
    // The bin where the count from the top reaches k: thread t owns bins 2047-2t and 2046-2t, an
    // exclusive scan over threads gives the count of every higher bin.
    static_assert(HIST_BINS == 2 * SAMPLE_THREADS, "two histogram bins a thread");
    const int b0 = HIST_BINS - 1 - 2 * tid;
    const int c0 = s_hist[b0], c1 = s_hist[b0 - 1];
    int all;
    const int higher = block_exclusive_scan(c0 + c1, scan_scratch, &all);
    if (higher < top_k && higher + c0 + c1 >= top_k) {
      const bool first = higher + c0 >= top_k;
      sh_i[2] = first ? b0 : b0 - 1;
      sh_i[3] = higher + c0 + (first ? 0 : c1);
    }
    __syncthreads();
    const uint32_t lowest = (uint32_t)sh_i[2] << (32 - HIST_BITS);
    const int candidates = sh_i[3];
    if (candidates <= SAMPLE_CAP) {
      // Ordered compaction (coalesced, eight loads in flight a thread): warp ballots, then the
      // warps' offsets. Ids stay in ascending order.
      constexpr int U = 8;
      int base_out = 0;
      const int warp = tid / WARP, lane = tid % WARP;
      for (int base = 0; base < V; base += SAMPLE_THREADS * U) {
        float vals[U];
#pragma unroll
        for (int u = 0; u < U; ++u) {
          const int i = base + u * SAMPLE_THREADS + tid;
          vals[u] = i < V ? work[i] : -INFINITY;
        }
#pragma unroll
        for (int u = 0; u < U; ++u) {
          const int i = base + u * SAMPLE_THREADS + tid;
          const bool take = i < V && float_key(vals[u]) >= lowest;
          const unsigned ballot = __ballot_sync(0xffffffffu, take);
          if (lane == 0) scan_scratch[warp] = __popc(ballot);
          __syncthreads();
          int before = 0, total = 0;
          for (int w = 0; w < SAMPLE_THREADS / WARP; ++w) {
            const int c = scan_scratch[w];
            before += w < warp ? c : 0;
            total += c;
          }
          if (take) {
            const int j = base_out + before + __popc(ballot & ((1u << lane) - 1));
            s_e[j] = vals[u];
            s_idx[j] = i;
          }
          base_out += total;
          __syncthreads();
        }
      }
      const uint32_t key = radix_kth_largest(
          candidates, top_k, [&](int j) { return float_key(s_e[j]); }, hist_scratch, sh_i);
      kth = key_float(key);
      // Keep only the candidates >= kth, still in id order, as exp(s - M): thread t reads entries
      // 2t and 2t+1, a scan places the kept ones.
      float e[2];
      int ids[2];
      bool keep[2];
      int mine = 0;
#pragma unroll
      for (int q = 0; q < 2; ++q) {
        const int j = 2 * tid + q;
        keep[q] = j < candidates && s_e[j] >= kth && s_e[j] != -INFINITY;
        e[q] = keep[q] ? (float)exp((double)(s_e[j] - M)) : 0.f;
        ids[q] = j < candidates ? s_idx[j] : 0;
        mine += keep[q] ? 1 : 0;
      }
      int kept_total;
      int at = block_exclusive_scan(mine, scan_scratch, &kept_total);
#pragma unroll
      for (int q = 0; q < 2; ++q) {
        if (keep[q]) {
          s_e[at] = e[q];
          s_idx[at] = ids[q];
          s_keep[at] = 1;
          ++at;
        }
      }
      n = kept_total;
      __syncthreads();
    }
  }
  if (n < 0) {
    if (use_k) {
      const uint32_t key =
          radix_kth_largest(V, top_k, [&](int i) { return float_key(work[i]); }, hist_scratch, sh_i);
      kth = key_float(key);
    }
  }

  // Ordered compaction of the kept ids: each thread owns a contiguous range.
  const int per = (V + blockDim.x - 1) / blockDim.x;
  const int lo = min(V, tid * per), hi = min(V, lo + per);
  int token = -1;
  bool listed = n >= 0;  // the fast path already holds the list
  if (!listed) {
    int mine = 0;
    for (int i = lo; i < hi; ++i) mine += kept_k(work[i]) ? 1 : 0;
    const int off = block_exclusive_scan(mine, scan_scratch, &n);
    if (n <= SAMPLE_CAP) {
      for (int i = lo, j = off; i < hi; ++i) {
        const float s = work[i];
        if (kept_k(s)) {
          s_idx[j] = i;
          s_keep[j] = 1;
          s_e[j] = (float)exp((double)(s - M));
          ++j;
        }
      }
      listed = true;
    }
  }

  if (listed) {
    // ---- Small path: every order-sensitive sum sequential, in the CPU's order.
    float inv = small_softmax(s_e, s_p, s_keep, n, sh_f);
    int live = 0;
    for (int j = tid; j < n; j += blockDim.x) live += s_keep[j];
    live = block_sum(live, scan_scratch);
    if (top_p < 1.0) {
      const double drop = 1.0 - top_p;
      const float floor_p = live > 1 ? (float)(drop / (live - 1)) : 0.f;
      if (tid == 0) {
        double below = 0;
        int m = 0;
        for (int j = 0; j < n; ++j) {
          if (!s_keep[j]) continue;
          if (s_p[j] < floor_p) below += s_p[j];
          else s_order[m++] = ((unsigned long long)__float_as_uint(s_p[j]) << 32) | (unsigned)j;
        }
        sh_i[0] = m;
        sh_d[0] = below;
      }
      __syncthreads();
      const int m = sh_i[0];
      if (m == 0) {
        if (tid == 0) {  // even the top token is below the floor: keep the first most likely
          int best = -1;
          for (int j = 0; j < n; ++j)
            if (s_keep[j] && (best < 0 || s_p[j] > s_p[best])) best = j;
          for (int j = 0; j < n; ++j) s_keep[j] = j == best;
        }
      } else {
        // Bitonic sort of the m candidates' (probability bits, position) keys, ascending.
        int m2 = 1;
        while (m2 < m) m2 <<= 1;
        for (int j = m + tid; j < m2; j += blockDim.x) s_order[j] = ~0ull;
        __syncthreads();
        for (int size = 2; size <= m2; size <<= 1) {
          for (int stride = size >> 1; stride > 0; stride >>= 1) {
            for (int j = tid; j < m2; j += blockDim.x) {
              const int partner = j ^ stride;
              if (partner > j) {
                const bool up = (j & size) == 0;
                const unsigned long long a = s_order[j], b = s_order[partner];
                if ((a > b) == up) {
                  s_order[j] = b;
                  s_order[partner] = a;
                }
              }
            }
            __syncthreads();
          }
        }
        if (tid == 0) {
          float cumulative = (float)sh_d[0];
          int first = m - 1;
          for (int j = 0; j < m - 1; ++j) {
            cumulative += __uint_as_float((uint32_t)(s_order[j] >> 32));
            if ((double)cumulative > drop) {
              first = j;
              break;
            }
          }
          for (int j = 0; j < n; ++j) s_keep[j] = 0;
          for (int j = first; j < m; ++j) s_keep[(uint32_t)s_order[j]] = 1;
        }
      }
      __syncthreads();
      inv = small_softmax(s_e, s_p, s_keep, n, sh_f);
    }
    if (min_p > 0.f) {
      float mx = 0.f;
      for (int j = tid; j < n; j += blockDim.x) mx = fmaxf(mx, s_p[j]);
      mx = block_max(mx, sh_f);
      const float threshold = min_p * mx;
      for (int j = tid; j < n; j += blockDim.x) s_keep[j] = s_keep[j] && s_p[j] >= threshold;
      small_softmax(s_e, s_p, s_keep, n, sh_f);
    }
    if (tid == 0) {
      double cumulative = 0;
      int last = -1;
      for (int j = 0; j < n && token < 0; ++j) {
        if (!s_keep[j]) continue;
        last = s_idx[j];
        cumulative += s_p[j];
        if (u < cumulative) token = s_idx[j];
      }
      if (token < 0) token = last;
      commit_token(token, state, counts, out_token, advance);
    }
    return;
  }

  // ---- Large path (more than SAMPLE_CAP tokens kept): parallel sums in double over work[V].
  // probs[i] holds e_i = exp(s_i - M) for kept ids and 0 for dropped ones; `keep` is implicit
  // in probs[i] > 0 (exp never underflows to 0 here unless the CPU's would too).
  double sum = 0;
  for (int i = tid; i < V; i += blockDim.x) {
    const float s = work[i];
    const float e = kept_k(s) ? (float)exp((double)(s - M)) : 0.f;
    probs[i] = e;
    sum += e;
  }
  sum = block_sum(sum, sh_d);
  float inv = (float)(1.0 / sum);
  int live = n;
  if (top_p < 1.0) {
    const double drop = 1.0 - top_p;
    const float floor_p = live > 1 ? (float)(drop / (live - 1)) : 0.f;
    double below = 0;
    int m_local = 0;
    for (int i = tid; i < V; i += blockDim.x) {
      const float e = probs[i];
      if (e == 0.f) continue;
      const float p = e * inv;
      if (p < floor_p) below += p;
      else ++m_local;
    }
    below = block_sum(below, sh_d);
    const int m = block_sum(m_local, scan_scratch);
    // Find the probability P* where the ascending cumulative (from `below`) first exceeds drop:
    // radix descent over the probability's float bits with mass histograms.
    __shared__ double mass[256];
    __shared__ int cnt[256];
    uint32_t prefix = 0, mask = 0;
    double cum = below;
    for (int shift = 24; shift >= 0; shift -= 8) {
      for (int b = tid; b < 256; b += blockDim.x) {
        mass[b] = 0;
        cnt[b] = 0;
      }
      __syncthreads();
      for (int i = tid; i < V; i += blockDim.x) {
        const float e = probs[i];
        if (e == 0.f) continue;
        const float p = e * inv;
        if (p < floor_p) continue;
        const uint32_t bits = __float_as_uint(p);
        if ((bits & mask) != prefix) continue;
        const int d = (bits >> shift) & 255;
        atomicAdd(&mass[d], (double)p);
        atomicAdd(&cnt[d], 1);
      }
      __syncthreads();
      if (tid == 0) {
        int b = 0;
        for (; b < 255; ++b) {
          if (cnt[b] > 0 && cum + mass[b] > drop) break;
          cum += mass[b];
        }
        sh_i[0] = b;
        sh_d[0] = cum;
      }
      __syncthreads();
      prefix |= (uint32_t)sh_i[0] << shift;
      mask |= 255u << shift;
      cum = sh_d[0];
      __syncthreads();
    }
    const float pstar = __uint_as_float(prefix);
    // Ties at P*: dropped in ascending id order while the cumulative stays <= drop; the largest
    // candidate always stays.
    int ties_local = 0;
    for (int i = lo; i < hi; ++i) {
      const float e = probs[i];
      if (e != 0.f && e * inv == pstar && pstar >= floor_p) ++ties_local;
    }
    int ties;
    const int rank0 = block_exclusive_scan(ties_local, scan_scratch, &ties);
    int dropped = 0;
    while (dropped < ties && cum + (double)(dropped + 1) * pstar <= drop) ++dropped;
    if (dropped == ties && ties > 0) {
      // Every tie fell under drop: only possible when no larger candidate exists; keep the last.
      bool larger = false;
      for (int i = tid; i < V && !larger; i += blockDim.x) larger = probs[i] * inv > pstar;
      if (!__syncthreads_or(larger)) dropped = ties - 1;
    }
    sum = 0;
    int rank = rank0;
    for (int i = lo; i < hi; ++i) {
      const float e = probs[i];
      if (e == 0.f) continue;
      const float p = e * inv;
      bool keep = p > pstar && p >= floor_p;
      if (p == pstar && pstar >= floor_p) keep = rank++ >= dropped;
      if (m == 0) keep = false;
      probs[i] = keep ? e : 0.f;
    }
    __syncthreads();
    if (m == 0) {  // the CPU keeps the first most likely token
      if (tid == 0) {
        // work's max M has e = 1: the first index with work == M.
        for (int i = 0; i < V; ++i)
          if (work[i] == M) {
            probs[i] = 1.f;
            break;
          }
      }
      __syncthreads();
    }
    sum = 0;
    for (int i = tid; i < V; i += blockDim.x) sum += probs[i];
    sum = block_sum(sum, sh_d);
    inv = (float)(1.0 / sum);
  }
  if (min_p > 0.f) {
    const float threshold = min_p * (1.f * inv);  // the max probability is e = 1 times inv
    sum = 0;
    for (int i = tid; i < V; i += blockDim.x) {
      const float e = probs[i];
      const float keep_e = (e != 0.f && e * inv >= threshold) ? e : 0.f;
      probs[i] = keep_e;
      sum += keep_e;
    }
    sum = block_sum(sum, sh_d);
    inv = (float)(1.0 / sum);
  }
  // Draw in ascending id order: per-thread range sums, an exclusive scan, then each thread walks
  // its range; the first crossing wins.
  double part = 0;
  for (int i = lo; i < hi; ++i) {
    const float e = probs[i];
    if (e != 0.f) part += e * inv;
  }
  // Exclusive scan in double over threads.
  {
    const int warp = tid / WARP, lane = tid % WARP;
    double incl = part;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
      const double t = __shfl_up_sync(0xffffffffu, incl, o);
      if (lane >= o) incl += t;
    }
    __syncthreads();
    if (lane == 31) sh_d[warp] = incl;
    __syncthreads();
    double before = 0;
    for (int w = 0; w < warp; ++w) before += sh_d[w];
    double cumulative = before + incl - part;
    int found = 0x7fffffff, last = -1;
    for (int i = lo; i < hi; ++i) {
      const float e = probs[i];
      if (e == 0.f) continue;
      last = i;
      cumulative += e * inv;
      if (u < cumulative) {
        found = i;
        break;
      }
    }
    __syncthreads();
    int* s_found = &hist_scratch[0];
    int* s_last = &hist_scratch[1];
    if (tid == 0) {
      *s_found = 0x7fffffff;
      *s_last = -1;
    }
    __syncthreads();
    atomicMin(s_found, found);
    atomicMax(s_last, last);
    __syncthreads();
    if (tid == 0) {
      token = *s_found != 0x7fffffff ? *s_found : *s_last;
      commit_token(token, state, counts, out_token, advance);
    }
  }
}
