module eddy.local/sdk

go 1.19
