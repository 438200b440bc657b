Counter: every call adds one to cell 0 and outputs it as a byte
(call it three times: outputs 0x01 then 0x02 then 0x03; the count
lives on the contract's tape and wraps after 255)
+.
