#!/bin/sh
out=$(./greet.sh Ada)
[ "$out" = "Hello, Ada!" ]
