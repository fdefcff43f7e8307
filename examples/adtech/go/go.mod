module eddy.local/adtech

go 1.19

require eddy.local/sdk v0.0.0

replace eddy.local/sdk => ../../../sdk/go
