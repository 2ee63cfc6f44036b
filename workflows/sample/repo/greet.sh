#!/bin/sh
# greet: print a greeting for each name given.
for name in "$@"; do
	printf 'Hello, %s!\n' "$name"
done
