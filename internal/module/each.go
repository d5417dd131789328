package module

import (
	"context"
	"errors"
	"fmt"
)

// EachFile calls read for every file of in.Files, in order, with the policy modules
// that read several files share:
//   - a file that cannot be read (read returns an error) does not stop the others;
//   - when at least one file could be read, each file that could not is noted with
//     out.Problem (its error's message, so the error must name the file), after the
//     last file, and EachFile returns nil;
//   - when no file could be read, EachFile returns the error of the only file, or
//     errors.Join of all of them, and notes no problem;
//   - an error of out.Record (returned by read, wrapped or not) stops at once: EachFile
//     returns it as out.Record returned it, so it still unwraps to the engine's error;
//   - a cancelled context stops at once (checked before each file and after each
//     error): EachFile returns ctx.Err() unwrapped.
//
// read may emit records itself or keep what it read for the caller to emit once every
// file is read (to sort records across files, for example).
func EachFile(ctx context.Context, in *Input, out *Output, read func(name string) error) error {
	var errs []error
	for _, name := range in.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := read(name)
		if err == nil {
			continue
		}
		if stop, ok := errors.AsType[*stopError](err); ok {
			return stop
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		errs = append(errs, err)
	}
	switch {
	case len(errs) == 0:
		return nil
	case len(errs) == len(in.Files):
		if len(errs) == 1 {
			return errs[0]
		}
		return errors.Join(errs...)
	}
	for _, err := range errs {
		out.Problem("%v", err)
	}
	return nil
}

// Emit hands recs to out in order, checking ctx every thousand records.
func Emit[R any](ctx context.Context, out *Output, recs []R) error {
	for i, r := range recs {
		if i%1000 == 999 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := out.Record(r); err != nil {
			return err
		}
	}
	return nil
}

// EachParsed reads every file of in.Files whole and parses it with parse, which returns
// the file's records, what it could only partly read (noted as problems naming the
// file), or an error for a file it cannot read at all; the records are emitted in
// order, file by file, as EachFile does.
func EachParsed[R any](ctx context.Context, in *Input, out *Output, parse func(name string, data []byte) ([]R, []string, error)) error {
	return EachFile(ctx, in, out, func(name string) error {
		data, err := in.ReadFile(name)
		var recs []R
		var problems []string
		if err == nil {
			recs, problems, err = parse(name, data)
		}
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		for _, p := range problems {
			out.Problem("%s: %s", name, p)
		}
		return Emit(ctx, out, recs)
	})
}
