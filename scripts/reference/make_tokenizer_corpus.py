#!/usr/bin/env python3
"""Writes the tokenizer parity corpus: flashtensors-core/src/test/resources/reference/tokenizer-corpus.json.

The corpus is an input of make_tokenizer_refs.py (which runs HF tokenizers over it on the GPU machine);
this generator is kept so the corpus can be re-made or extended. It is deterministic (fixed seeds).
Usage: python3 scripts/reference/make_tokenizer_corpus.py [OUT.json]
"""
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HAND_WRITTEN = [
    # empty and tiny
    "", " ", "a", "\n", "\t", "\r\n", "\r", "  ", "ab", "A",
    # English, contractions (the (?i:'s|'t|'re|'ve|'m|'ll|'d) branch)
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure you're right; they've said we'll see what he'd do, and it's fine.",
    "don't can't won't shouldn't isn't ain't",
    "I'M SURE YOU'RE RIGHT, THEY'VE SAID WE'LL GO. HE'D KNOW IT'S TRUE.",
    "'s 't 're 've 'm 'll 'd",
    "''s '''t 'S 'T 'Re 'rE 'LL 'lL 'D",
    "'ſ 'ſt Hans'ſ",
    "O'Reilly's book, rock 'n' roll, 'tis the season, y'all'd've",
    "'sup 'tis 'twas 'em 'dunno",
    "Don’t use curly apostrophes’s",
    # numbers
    "0", "7", "123", "1234567890", "3.14159", "1,000,000", "-42", "+17", "1e10", "6.02e23",
    "31415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679",
    "２０２４年１２月", "٣٤٥ ٠١٢", "۱۲۳۴", "१२३ ४५६", "১২৩", "๑๒๓", "½ ¾ ² ³ ¹", "Ⅻ ⅻ Ⅳ", "𝟘𝟙𝟚𝟛", "①②③ ⑴⑵",
    "Version 2.0.1-beta+build.42", "Call 555-0199 or +1 (800) 555-0100", "0xDEADBEEF 0b1010 0o777",
    "2024-01-15T10:30:00Z", "$1,234.56 €99 £5 ¥1000 ₹250", "100% 50‰ 3×4=12 10÷2=5",
    # whitespace
    "   ", "a  b", "a   b", "a    b", "  leading", "trailing  ", "trailing \n", "\t\tindented", "a\tb\tc",
    "line1\nline2", "line1\n\nline2", "line1\r\nline2", "line1\r\n\r\nline2", "\n\n\n", " \n \n ",
    "\n   \n", "a \n b", "a\n b", "a \nb", "x\u00a0y", "x\u00a0\u00a0y", "\u00a0lead", "\u3000全角スペース\u3000",
    "\u2003em\u2002en\u2009thin\u200ahair", "line\u2028sep\u2029para", "\u0085next line", "\u000bvt\u000cff",
    "zero\u200bwidth\u200cjoiner\u200d", "\ufeffBOM at start", "  \t \n\t  x", "x\n\t\t\ty", " \t", "\t ",
    "end with spaces   ", "   \n", "\n ", "\r\n\r\n", "\r\r\n", "a\r\n \r\nb", "\u1680ogham",
    "\u001c\u001d\u001e\u001f separators", " !", "  !", " \n!", "! \n",
    # code
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "public final class Main {\n  public static void main(String[] args) {\n    System.out.println(\"hi\");\n  }\n}\n",
    "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3, \"metric\": true}}",
    "<html>\n<head><title>Test</title></head>\n<body class=\"main\">&nbsp;&amp;</body>\n</html>",
    "#!/bin/bash\nset -euo pipefail\nfor f in *.txt; do\n\techo \"$f\" | tr a-z A-Z\ndone\n",
    "SELECT id, name FROM users WHERE age >= 18 AND name LIKE '%son' ORDER BY id DESC;",
    "fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}",
    "int main(void) {\n\tint *p = malloc(sizeof(int) * 4);\n\tif (!p) return -1;\n\tfree(p);\n\treturn 0;\n}\n",
    "| col1 | col2 |\n|------|------|\n| a    | b    |\n",
    "\\begin{equation}\n  \\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\n\\end{equation}",
    "regex: ^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+)@(?:\\w+\\.)+$",
    "    indented code\n        more\n\tand tab\n",
    "x=1;y=2;z=x+y//comment\n/* block */",
    "```python\nprint('hello')\n```\n",
    "a->b=>c::d..e...f",
    "if (a != b && c <= d || !e) { return; }",
    "foo_bar_baz = FooBar.baz_qux(__init__, **kwargs)",
    "https://example.com/path/to/page?query=1&x=y#frag",
    "user.name+tag@example.co.uk",
    "C:\\Users\\me\\Documents\\file.txt /usr/local/bin/python3",
    "#hashtag @mention $TICKER",
    "SGVsbG8gV29ybGQhIFRoaXMgaXMgYmFzZTY0IGVuY29kZWQgdGV4dC4=",
    "550e8400-e29b-41d4-a716-446655440000",
    # languages and scripts
    "你好，世界！今天天气很好。我们去公园散步吧。",
    "日本語のテキストです。カタカナとひらがなと漢字が混ざっています。",
    "한국어 텍스트입니다. 안녕하세요!",
    "مرحبا بالعالم. هذا نص عربي.",
    "שלום עולם. זה טקסט בעברית.",
    "नमस्ते दुनिया। यह हिंदी पाठ है।",
    "สวัสดีชาวโลก นี่คือข้อความภาษาไทย",
    "Привет, мир! Это русский текст.",
    "Γειά σου Κόσμε! Αυτό είναι ελληνικό κείμενο.",
    "Xin chào thế giới. Đây là văn bản tiếng Việt.",
    "İstanbul'da ılık bir gün. IŞIK ışık",
    "Straße, STRASSE, ẞ groß, Größe",
    "Ça va? Où est l'hôtel? «Très bien», dit-il.",
    "¿Dónde está la biblioteca? ¡Aquí!",
    "Zażółć gęślą jaźń",
    "გამარჯობა მსოფლიო",
    "Բարեւ աշխարհ",
    "ሰላም ልዑል",
    "வணக்கம் உலகம்",
    "হ্যালো বিশ্ব",
    "សួស្តី​ពិភពលោក",
    "မင်္ဂလာပါ ကမ္ဘာလောက",
    "ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ",
    "བཀྲ་ཤིས་བདེ་ལེགས།",
    "שלום velt אין ייִדיש",
    "می\u200cخواهم بروم. سلام دنیا",
    "ہیلو دنیا",
    "Ελληνικά και English mixed 中文 text",
    "Iñtërnâtiônàlizætiøn",
    "ǅungla ǈ ǋ",
    # emoji
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇯🇵🇺🇸🇩🇪", "❤️", "🧑🏿‍🚀", "1️⃣ #️⃣ *️⃣", "🫠🫶🏻",
    "I love 🍕 and 🍣! 🎉🎉🎉", "👩‍💻👨‍🔬 coding & science", "😀😃😄😁😆😅😂🤣", "⌚⌛☕♈⚡",
    "emoji at end 🙂", "🙂 emoji at start",
    # added tokens inline
    "<|im_start|>user\nhi<|im_end|>",
    "<|endoftext|>",
    "<think>\nreasoning here\n</think>\n\nanswer",
    "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
    "<|im_start|><|im_end|>",
    "text<|im_end|>more",
    "<|im_start",
    "<|im_end|",
    "< |im_end| >",
    "<|IM_END|>",
    "<|fim_prefix|>def f(<|fim_suffix|>)<|fim_middle|>x",
    " <|im_end|> ",
    "<<|im_end|>>",
    "<|vision_start|><|image_pad|><|vision_end|>",
    "<tool_response>\n42\n</tool_response>",
    "</think>",
    "<think></think>",
    "<|im_end|>\u0301 combining mark after a token",
    "e\u0301<|im_end|>e\u0301",
    "<|repo_name|>flashtensors<|file_sep|>README.md",
    "<|endoftext|><|endoftext|><|endoftext|>",
    # normalization (NFC)
    "e\u0301", "A\u030a", "\u212b", "\u2126", "\u212a", "\u1100\u1161\u11a8", "A\u0308\u0301",
    "n\u0303 vs \u00f1", "\u1e9b\u0323", "q\u0307\u0323", "\u0958", "ﬁ ﬂ ligatures stay",
    "cafe\u0301 re\u0301sume\u0301", "\u0041\u030a\u0042\u0327", "Ω ≠ \u2126", "한글 \u1112\u1161\u11ab\u1100\u1173\u11af",
    # punctuation
    "...", "?!?!", "—", "«quotes»", "“smart” ‘quotes’", "(parens) [brackets] {braces}",
    "a/b\\c", "@#$%^&*", "!!!\n\n", "ok.\r\n", ".\n\n\n", "…\n", "~~~", "----", "____", "====\n",
    "Hello!!! How are you???", "wait... what?!", "a,b;c:d", "\"quoted\" 'single'",
    # math and symbols
    "E=mc²", "∑_{i=1}^n i", "x² + y² = z²", "α+β=γ", "∀x∈ℝ: x²≥0", "→ ← ↑ ↓ ⇒", "© ® ™ § ¶",
    "½ + ¼ = ¾", "√2 ≈ 1.414", "∞", "°C °F",
    # control characters
    "\u0000", "\u0001\u0002\u0003", "\u007f", "\u0080\u009f", "nul\u0000in\u0000middle", "\u001b[31mred\u001b[0m",
    # astral letters
    "𝒜𝒷𝒸", "𐍈 Gothic", "𠜎𠜱𠝹", "𓀀𓀁 hieroglyphs", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    # repetition
    "a" * 1000, " " * 500, "\n" * 300, "!" * 400, "ab " * 300, "😀" * 100, "的" * 200, "0" * 300,
    "\t" * 50, " \n" * 100, ".\n" * 80, "a\u0301" * 50,
]

# Characters chosen to exercise every branch of the split regex and the byte-level encoding:
# each class of \s, \p{L}, \p{N}, other, CR/LF, apostrophe contractions, multi-byte lengths 1-4.
FUZZ_POOL = (
    list("abcxyzABCXYZ")
    + list("sStTrReEvVmMlLdD")
    + ["'", "'", "'"]
    + list("0123456789")
    + list(" " * 6)
    + ["\t", "\n", "\n", "\r", "\r\n", "\u000b", "\u000c", "\u0085", "\u00a0", "\u1680", "\u2000",
       "\u2007", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\u200b", "\ufeff"]
    + list(".,;:!?-_()[]{}<>/\\|@#$%^&*+=~`\"")
    + ["é", "ß", "ñ", "ø", "ı", "İ", "ſ", "Ω", "ж", "λ", "中", "文", "の", "カ", "한", "ب", "ש", "न", "ि", "्",
       "ก", "ั", "ா", "\u0301", "\u0308", "\u200d", "\u200c", "\ufe0f"]
    + ["²", "½", "Ⅻ", "٣", "१", "①", "𝟙"]
    + ["😀", "👍", "🏽", "🇯", "🇵", "𝒜", "𠜎", "𐍈", "—", "…", "€", "©", "→", "\u0000", "\u007f", "\u0080"]
    + ["<|im_end|>", "<think>", "</think>", "<tool_call>", "<|endoftext|>", "<|im_start|>"]
)


def fuzz_strings(count, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        n = rng.randint(1, 120)
        out.append("".join(rng.choice(FUZZ_POOL) for _ in range(n)))
    return out


def prose_document(seed):
    rng = random.Random(seed)
    sentences = [s for s in HAND_WRITTEN if 20 <= len(s) <= 200 and "<|" not in s and "<t" not in s]
    paragraphs = []
    for _ in range(160):
        k = rng.randint(2, 6)
        paragraphs.append(" ".join(rng.choice(sentences) for _ in range(k)))
    return "\n\n".join(paragraphs)


def code_document():
    src = os.path.join(ROOT, "flashtensors-core", "src", "main", "java", "io", "flashtensors", "llm")
    parts = []
    for folder, _, files in sorted(os.walk(src)):
        for name in sorted(files):
            if name.endswith(".java"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    parts.append("// " + name + "\n" + f.read())
    return "\n".join(parts)[:60000]


def unicode_soup(seed, length):
    rng = random.Random(seed)
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x591, 0x5F4), (0x600, 0x6FF),
              (0x900, 0x97F), (0xE00, 0xE5B), (0x1100, 0x11FF), (0x2000, 0x206F), (0x2190, 0x22FF),
              (0x3000, 0x30FF), (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0xFF00, 0xFFEF), (0x1F300, 0x1F64F),
              (0x1D400, 0x1D7FF), (0x20000, 0x2004F), (0x0, 0x1F)]
    out = []
    while len(out) < length:
        lo, hi = rng.choice(ranges)
        cp = rng.randint(lo, hi)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        # Stay within characters assigned in old Unicode versions, so that the Unicode tables of
        # Python, Rust (Oniguruma) and Java agree.
        import unicodedata
        if unicodedata.category(ch) in ("Cn", "Co", "Cs"):
            continue
        out.append(ch)
    return "".join(out)


def whitespace_document(seed):
    rng = random.Random(seed)
    lines = []
    for i in range(1500):
        indent = rng.choice(["", " ", "  ", "    ", "\t", "\t\t", " \t", "\u3000", "\u00a0"])
        body = rng.choice(["x = 1", "return y", "", "# comment", "}", "{", "foo(bar)", "  ", "item,", "末尾"])
        trail = rng.choice(["", "", " ", "  ", "\t"])
        end = rng.choice(["\n", "\n", "\n", "\r\n", "\n\n", "\r\n\r\n", "\n \n"])
        lines.append(indent + body + trail + end)
    return "".join(lines)


def chat_transcript():
    turns = []
    for i in range(60):
        turns.append("<|im_start|>user\nQuestion %d: what is %d + %d?<|im_end|>\n" % (i, i, i * 7))
        turns.append("<|im_start|>assistant\n<think>\nAdd them: %d.\n</think>\n\nThe answer is %d.<|im_end|>\n" % (i * 8, i * 8))
    return "".join(turns)


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, "flashtensors-core", "src", "test", "resources", "reference", "tokenizer-corpus.json")
    strings = [{"name": "hand-%03d" % i, "text": s} for i, s in enumerate(HAND_WRITTEN)]
    strings += [{"name": "fuzz-%03d" % i, "text": s} for i, s in enumerate(fuzz_strings(120, 20250601))]
    documents = [
        {"name": "doc-prose", "text": prose_document(7)},
        {"name": "doc-code", "text": code_document()},
        {"name": "doc-unicode-soup", "text": unicode_soup(11, 20000)},
        {"name": "doc-whitespace", "text": whitespace_document(13)},
        {"name": "doc-chat-transcript", "text": chat_transcript()},
    ]
    corpus = {
        "about": "Inputs of scripts/reference/make_tokenizer_refs.py; made by make_tokenizer_corpus.py",
        "strings": strings,
        "documents": documents,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(corpus, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote %s: %d strings, %d documents (%d chars)" % (
        out_path, len(strings), len(documents), sum(len(d["text"]) for d in documents)))


if __name__ == "__main__":
    main()
