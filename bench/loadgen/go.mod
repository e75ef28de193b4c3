module cnap-archive/bench/loadgen

go 1.22
