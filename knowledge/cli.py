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
    s.add_argument("--mode", choices=["rerank", "hybrid", "dense", "bm25"], default="rerank")
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
    e = sub.add_parser("eval", help="per mode: cross-validated development figures beside the held-out figures "
                       "(recall@1, MRR, false answers on unanswerable questions)")
    e.add_argument("--questions", help="development questions (default knowledge/eval/questions.yml)")
    e.add_argument("--heldout", help="held-out questions (default tests/eval/knowledge_heldout.yml)")
    e.add_argument("--folds", type=int, default=5)
    e.add_argument("--json", action="store_true")
    e.add_argument("--misses", action="store_true",
                   help="also list the held-out questions the default mode misses: for the final report only "
                   "(whoever reads them while choosing levers has seen the held-out set)")
    t_ = sub.add_parser("tune", help="fit the ranking parameters on the development questions (writes "
                        "knowledge/params.json)")
    t_.add_argument("--questions")
    for sp in (ing, s, a, d, e, t_, *[sub.choices[n] for n in ("stats", "ensure", "rebuild")]):
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
            from knowledge.evaluate import HELDOUT_FILE, print_table, run_eval

            result = run_eval(args.index, args.questions, args.heldout or HELDOUT_FILE, k=args.folds)
            if not args.misses:
                result.pop("heldout_misses", None)
            if args.json:
                print(json.dumps(result, ensure_ascii=False, indent=1))
            else:
                print_table(result)
        elif args.cmd == "tune":
            from dataclasses import asdict

            from knowledge.tune import tune

            print(json.dumps(asdict(tune(args.index, args.questions)), ensure_ascii=False))
    except IndexMissingError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
