"""``python -m tests.support.sheets --out DIR --count 200 --seed 1 [--classes a,b]``"""

from tests.support.sheets.writing import main

main()
