#!/bin/sh
echo "BERTH-VM-RESULT: ok trivial"
berth --version
echo "BERTH-VM-DONE 1 0 0"
