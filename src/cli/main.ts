console.log('tally: not built yet');
