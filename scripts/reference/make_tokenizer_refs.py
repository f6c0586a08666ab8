#!/usr/bin/env python3
"""Reference outputs for the Java tokenizer and Qwen3 chat template, made with Hugging Face's own code.

Runs on the GPU machine (python3 with `tokenizers` and `transformers` 5.x; no GPU needed) over inputs kept
in the repository, and writes the expected outputs that the Java tests compare against exactly:

  tokenizer-expected.json.gz  ids from `tokenizers` (Tokenizer.from_file) for every corpus string and
                              document, their decode, and decodes of random id sequences (incl. lone
                              UTF-8 bytes), with and without skip_special_tokens
  chat-expected.json          transformers' apply_chat_template(tokenize=False) for every conversation
                              and variant (add_generation_prompt, enable_thinking), plus the ids of
                              each rendering from `tokenizers`
  bench-python.json           (with --bench-text) HF tokenizers encode throughput on that text, for the
                              benchmark note, measured on the same machine as the Java benchmark

Usage:
  python3 make_tokenizer_refs.py --tokenizer-dir DIR --corpus tokenizer-corpus.json \
      --conversations chat-conversations.json --out OUTDIR [--bench-text FILE] [--limit N]

DIR holds tokenizer.json (or tokenizer.json.gz) and tokenizer_config.json. Every section records its
errors instead of stopping the run, so one run yields everything that can be made.
"""
import argparse
import copy
import gzip
import inspect
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import traceback

DECODE_SEED = 20250601
DECODE_SEQUENCES = 400


def log(*args):
    print(*args, flush=True)


def read_json(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def write_json(path, value):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
    log("wrote", path, os.path.getsize(path), "bytes")


def prepare_tokenizer_dir(src):
    """A temporary folder with tokenizer.json unpacked and tokenizer_config.json beside it."""
    dst = tempfile.mkdtemp(prefix="qwen3-tok-")
    if os.path.exists(os.path.join(src, "tokenizer.json")):
        shutil.copy(os.path.join(src, "tokenizer.json"), dst)
    else:
        with gzip.open(os.path.join(src, "tokenizer.json.gz"), "rb") as f, \
                open(os.path.join(dst, "tokenizer.json"), "wb") as g:
            shutil.copyfileobj(f, g)
    shutil.copy(os.path.join(src, "tokenizer_config.json"), dst)
    return dst


def versions():
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in ("tokenizers", "transformers", "jinja2"):
        try:
            out[name] = __import__(name).__version__
        except Exception as e:  # noqa: BLE001 - record whatever is missing
            out[name] = "unavailable: %r" % e
    return out


def tokenizer_refs(tok, corpus, limit, errors):
    result = {"strings": [], "documents": [], "decode": []}
    for section in ("strings", "documents"):
        items = corpus[section][:limit] if limit else corpus[section]
        for item in items:
            try:
                ids = tok.encode(item["text"]).ids
                result[section].append({
                    "name": item["name"],
                    "ids": ids,
                    "decoded": tok.decode(ids, skip_special_tokens=False),
                })
            except Exception as e:  # noqa: BLE001
                errors.append("encode %s: %r" % (item["name"], e))
    # Random id sequences, heavy in single-byte tokens so that many are not valid UTF-8.
    vocab_size = tok.get_vocab_size(with_added_tokens=True)
    byte_ids = [tok.token_to_id(c) for c in byte_level_alphabet()]
    rng = random.Random(DECODE_SEED)
    for _ in range(DECODE_SEQUENCES if not limit else min(limit, DECODE_SEQUENCES)):
        n = rng.randint(1, 12)
        ids = [rng.choice(byte_ids) if rng.random() < 0.6 else rng.randrange(vocab_size) for _ in range(n)]
        try:
            result["decode"].append({
                "ids": ids,
                "text": tok.decode(ids, skip_special_tokens=False),
                "text_skip_special": tok.decode(ids, skip_special_tokens=True),
            })
        except Exception as e:  # noqa: BLE001
            errors.append("decode %s: %r" % (ids, e))
    return result


def byte_level_alphabet():
    """GPT-2's bytes_to_unicode, in byte order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    mapping = dict(zip(bs, cs))
    return [chr(mapping[b]) for b in range(256)]


def load_transformers_tokenizer(tok_dir, errors):
    try:
        from transformers import AutoTokenizer
        return AutoTokenizer.from_pretrained(tok_dir), "AutoTokenizer.from_pretrained"
    except Exception as e:  # noqa: BLE001
        errors.append("AutoTokenizer: %r" % e)
    try:
        from transformers import PreTrainedTokenizerFast
        cfg = read_json(os.path.join(tok_dir, "tokenizer_config.json"))
        t = PreTrainedTokenizerFast(tokenizer_file=os.path.join(tok_dir, "tokenizer.json"))
        t.chat_template = cfg["chat_template"]
        return t, "PreTrainedTokenizerFast(tokenizer_file)"
    except Exception as e:  # noqa: BLE001
        errors.append("PreTrainedTokenizerFast: %r" % e)
    return None, None


def jinja_renderer(template):
    """transformers' chat-template environment, for a cross-check of apply_chat_template."""
    import jinja2
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env.from_string(template)


def variant_kwargs(variant):
    kw = {"add_generation_prompt": variant["add_generation_prompt"]}
    if "enable_thinking" in variant:
        kw["enable_thinking"] = variant["enable_thinking"]
    return kw


def render_with_transformers(ttok, case, variant, extra):
    text = ttok.apply_chat_template(
        copy.deepcopy(case["messages"]), tools=copy.deepcopy(case.get("tools")), tokenize=False,
        **variant_kwargs(variant), **extra)
    if not isinstance(text, str):
        raise TypeError("apply_chat_template(tokenize=False) returned %s" % type(text).__name__)
    return text


def chat_refs(tok, tok_dir, conversations, errors):
    ttok, how = load_transformers_tokenizer(tok_dir, errors)
    template = read_json(os.path.join(tok_dir, "tokenizer_config.json"))["chat_template"]
    jinja = jinja_renderer(template)
    meta = {"loaded_with": how}
    escape_param = False
    if ttok is not None:
        params = inspect.signature(ttok.apply_chat_template).parameters
        escape_param = "escape_special_tokens" in params
        meta["apply_chat_template_parameters"] = list(params)
    meta["has_escape_special_tokens_parameter"] = escape_param

    def render_all(cases, with_unescaped):
        out = []
        for case in cases:
            for variant in conversations["variants"]:
                entry = {"conversation": case["name"], "variant": variant["name"]}
                try:
                    entry["jinja"] = jinja.render(
                        messages=copy.deepcopy(case["messages"]), tools=copy.deepcopy(case.get("tools")),
                        **variant_kwargs(variant))
                except Exception as e:  # noqa: BLE001
                    entry["jinja_error"] = repr(e)
                if ttok is not None:
                    try:
                        entry["text"] = render_with_transformers(ttok, case, variant, {})
                    except Exception as e:  # noqa: BLE001
                        entry["error"] = repr(e)
                        errors.append("apply_chat_template %s/%s: %r" % (case["name"], variant["name"], e))
                    if with_unescaped and escape_param:
                        try:
                            entry["text_unescaped"] = render_with_transformers(
                                ttok, case, variant, {"escape_special_tokens": False})
                        except Exception as e:  # noqa: BLE001
                            entry["unescaped_error"] = repr(e)
                reference = entry.get("text", entry.get("jinja"))
                if reference is not None:
                    entry["ids"] = tok.encode(reference).ids
                out.append(entry)
        return out

    renderings = render_all(conversations["conversations"], False)
    special = render_all(conversations.get("special_token_conversations", []), True)
    meta["transformers_equals_jinja"] = sum(1 for r in renderings if "text" in r and r["text"] == r.get("jinja"))
    meta["renderings"] = len(renderings)
    if ttok is not None:
        agree = 0
        for r in renderings[:40]:
            if "text" in r:
                ids = ttok(r["text"], add_special_tokens=False)["input_ids"]
                agree += int(list(ids) == r["ids"])
        meta["transformers_encode_agrees_with_tokenizers_of_first_40"] = agree
    return {"meta": meta, "renderings": renderings, "special_token_renderings": special}


def bench_python(tok_file, path, errors):
    """HF tokenizers encode throughput, one thread: a fresh tokenizer per run (cold word cache) and
    repeated runs on one tokenizer (warm cache), median of 7 each."""
    try:
        from tokenizers import Tokenizer
        with open(path, encoding="utf-8", newline="") as f:  # keep CRLF as the Java side reads it
            text = f.read()
        size = len(text.encode("utf-8"))
        warm_tok = Tokenizer.from_file(tok_file)
        ids = warm_tok.encode(text).ids  # warm-up
        cold, warm = [], []
        for _ in range(7):
            fresh = Tokenizer.from_file(tok_file)
            t0 = time.perf_counter()
            fresh.encode(text)
            cold.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            warm_tok.encode(text)
            warm.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        Tokenizer.from_file(tok_file)
        load = time.perf_counter() - t0
        result = {"bytes": size, "tokens": len(ids), "load_seconds": load,
                  "what": "tokenizers Tokenizer.encode(text) of the whole file in one call, one thread"}
        for name, times in (("cold_cache", cold), ("warm_cache", warm)):
            med = statistics.median(times)
            result[name] = {"seconds": times, "median_seconds": med, "mb_per_s_median": size / med / 1e6,
                            "tokens_per_s_median": len(ids) / med}
        return result
    except Exception as e:  # noqa: BLE001
        errors.append("bench: %r" % e)
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizer-dir", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--conversations", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--bench-text")
    ap.add_argument("--limit", type=int, default=0, help="only the first N corpus items (quick trials)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    errors = []
    meta = {"versions": versions(), "script": "scripts/reference/make_tokenizer_refs.py"}
    log("versions:", json.dumps(meta["versions"]))

    tok_dir = prepare_tokenizer_dir(args.tokenizer_dir)
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(tok_dir, "tokenizer.json"))

    t0 = time.time()
    refs = tokenizer_refs(tok, read_json(args.corpus), args.limit, errors)
    refs["meta"] = meta
    write_json(os.path.join(args.out, "tokenizer-expected.json.gz"), refs)
    log("tokenizer refs: %d strings, %d documents, %d decodes in %.1fs" % (
        len(refs["strings"]), len(refs["documents"]), len(refs["decode"]), time.time() - t0))

    try:
        chat = chat_refs(tok, tok_dir, read_json(args.conversations), errors)
        chat["meta"].update(meta)
        write_json(os.path.join(args.out, "chat-expected.json"), chat)
        log("chat refs:", json.dumps({k: v for k, v in chat["meta"].items() if k != "apply_chat_template_parameters"}))
    except Exception:  # noqa: BLE001
        errors.append("chat: " + traceback.format_exc())

    if args.bench_text:
        bench = bench_python(os.path.join(tok_dir, "tokenizer.json"), args.bench_text, errors)
        if bench:
            bench["versions"] = meta["versions"]
            write_json(os.path.join(args.out, "bench-python.json"), bench)
            log("python tokenizers encode: cold cache %.2f MB/s, warm cache %.2f MB/s (%d bytes, %d tokens),"
                " load %.2f s" % (bench["cold_cache"]["mb_per_s_median"], bench["warm_cache"]["mb_per_s_median"],
                                  bench["bytes"], bench["tokens"], bench["load_seconds"]))

    for e in errors:
        log("ERROR:", e)
    log("done with %d errors" % len(errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
