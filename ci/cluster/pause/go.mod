module aifactory.local/pause

go 1.22
