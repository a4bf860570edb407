"""The subcommands `check`, `sanity`, `sweep` and `train`: each takes the parsed arguments, runs
on a session's network or a model file's model (see targets) and returns the exit status."""

from __future__ import annotations

import argparse
import json

from gradviz.cli.common import EXIT_CODES, write_export
from gradviz.cli.targets import load_target
from gradviz.core.check.gradcheck import gradient_check
from gradviz.core.report.table import format_report

#: the sanity checks a model file cannot run, and why
BUILT_IN_SANITY = ("initial loss and regularization: not run, they need a built-in gradviz network "
                   "(a known loss and its λ)")


def run_check(args: argparse.Namespace) -> int:
    target = load_target(args)
    blocks = args.blocks.split(",") if args.blocks else None
    with target.user_code():
        report = gradient_check(target.model, target.X_check, target.y_check, blocks=blocks,
                                engine=args.engine, workers=args.workers, **target.check_options)
    print(format_report(report))
    if args.json:
        write_export(args, args.json, report.to_json(indent=2))
    if args.csv:
        write_export(args, args.csv, report.to_csv())
    return EXIT_CODES[report.conclusion]


def run_sanity(args: argparse.Namespace) -> int:
    from gradviz.core.teach.sanity import overfit_model_check, run_sanity_checks

    target = load_target(args)
    target.require_examples("gradviz sanity (overfitting the examples)")
    with target.user_code():
        if target.session is not None:
            results = run_sanity_checks(target.model.spec, target.X, target.y)
        else:
            results = [overfit_model_check(target.model, target.X, target.y)]
    for result in results:
        print(f"[{'ok' if result.ok else 'FAIL'}] {result.name}: {result.message}")
    if target.session is None:
        print(BUILT_IN_SANITY)
    return 0 if all(r.ok for r in results) else 1


def run_sweep(args: argparse.Namespace) -> int:
    from gradviz.core.teach.sweep import epsilon_sweep, own_dtype

    target = load_target(args)
    params = target.model.params
    if not params:
        raise ValueError("the model has no parameters to sweep (its .params is empty)")
    if args.dtypes:
        dtypes = args.dtypes.split(",")
    else:
        dtypes = ["float64", "float32"] if target.session is not None else [own_dtype(target.model)]
    with target.user_code():
        sweep = epsilon_sweep(target.model, target.X_check, target.y_check,
                              block=args.block or next(iter(params)), index=args.index,
                              dtypes=dtypes, methods=args.methods.split(","))
    print("\n".join(sweep.lines()))
    if args.json:
        write_export(args, args.json, json.dumps(sweep.to_dict(), indent=2))
    return 0


def run_train(args: argparse.Namespace) -> int:
    from gradviz.core.data.session import TrainingSettings
    from gradviz.core.model.training import Trainer
    from gradviz.core.teach.checkpoints import iter_check_during_training

    target = load_target(args)
    target.require_examples("gradviz train")
    if target.session is not None:
        t, problem = target.session.training, target.problem
        trainer = Trainer(problem.net, problem.X, problem.y, problem.X_dev, problem.y_dev,
                          optimizer=t.optimizer, lr=t.lr, batch_size=t.batch_size,
                          seed=target.session.data.seed)
    else:  # a model file trains on its own X and y, full batch
        t = TrainingSettings(**{k: getattr(args, k) for k in ("lr", "optimizer")
                                if getattr(args, k) is not None})
        trainer = Trainer(target.model, target.X, target.y, optimizer=t.optimizer, lr=t.lr)
    at = sorted({*(i for i in args.check_at if i <= args.iterations), args.iterations})
    passed = True
    with target.user_code():
        for point in iter_check_during_training(trainer, at, X=target.X_check, y=target.y_check,
                                                **target.check_options):
            report = point.report
            loss = "" if point.loss is None else f" loss {point.loss:.4g}"
            failing = report.failing_blocks()
            print(f"iteration {point.iteration}:{loss}  {report.verdict()}"
                  + (f"  failing: {', '.join(failing)}" if failing else ""))
            passed = passed and report.passed
    if trainer.stop_reason:
        print(trainer.stop_reason)
    return 0 if passed and not trainer.stop_reason else 1
