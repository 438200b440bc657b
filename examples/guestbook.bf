Guestbook: each call appends its input to the entries kept on the
contract's tape and outputs everything written so far
Tape: cell 0 is always zero (a sentinel for the scan back); the entries
start at cell 1 and end at the first zero cell

>[>]        go to the end of what is written
,[>,]       append the input up to its end
<[<]        back to the sentinel
>[.>]       output everything
